import Catalog
import Foundation
import PostgreSQLCatalog
import Testing

/// A catalog of a fresh workspace in the shared database (or of `workspace` in `database`), as `user`.
func makePostgreSQLCatalog(workspace: String = freshWorkspace(), database: String? = nil, user: String = "postgres",
                 maximumConnections: Int = 8) throws -> PostgreSQLCatalog {
    let cluster = try PostgreSQLCluster.shared()
    return try PostgreSQLCatalog(url: cluster.url(database: database, user: user), workspace: workspace,
                                 maximumConnections: maximumConnections)
}

/// The `.engine` failure `body` throws, or nil (the test then fails on it).
func engineFailure(_ body: () throws -> Void) -> (operation: String, sqlState: String, message: String)? {
    do {
        try body()
        Issue.record("expected CatalogError.engine, nothing was thrown")
    } catch let CatalogError.engine(operation, code, message) {
        return (operation, SQLState.sqlState(ofResultCode: code), message)
    } catch {
        Issue.record("expected CatalogError.engine, got \(type(of: error)): \(error)")
    }
    return nil
}

@Test func workspacesOfOneDatabaseAreApart() throws {
    let first = try makePostgreSQLCatalog()
    let second = try makePostgreSQLCatalog()
    try first.upsert(record("a.safetensors", key: "same-key"))
    // The same name and the same object key in another workspace: no clash.
    try second.upsert(record("a.safetensors", key: "same-key", size: 2))
    try first.insertJob(job("boat"))
    try second.insertJob(job("boat"))
    #expect(try first.allLoRAs() == [record("a.safetensors", key: "same-key")])
    #expect(try second.allLoRAs() == [record("a.safetensors", key: "same-key", size: 2)])
    #expect(try second.delete(named: "a.safetensors") != nil)
    #expect(try first.lora(named: "a.safetensors") != nil)
    #expect(try first.changeVersion() == 1)
    #expect(try second.changeVersion() == 2)
}

