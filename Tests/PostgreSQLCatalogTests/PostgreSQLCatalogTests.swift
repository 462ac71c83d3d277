import Catalog
import Foundation
import PostgreSQLCatalog
import Testing

/// A LoRA row whose object key defaults to one derived from the name.
func record(_ name: String, key: String? = nil, size: Int64 = 10) -> LoRARecord {
    LoRARecord(name: name, objectKey: key ?? "workspaces/t/loras/\(name)", size: size,
               sha256: String(repeating: "a", count: 64), uploadedAt: 1_700_000_000.5, kind: "safetensors")
}

func job(_ name: String, createdAt: Double = 1) -> JobRecord {
    JobRecord(name: name, spec: "{}", backend: "local", backendID: "id-\(name)", state: "queued",
              createdAt: createdAt, updatedAt: createdAt)
}

/// A workspace name no other test uses.
func freshWorkspace() -> String { "ws-\(UUID().uuidString.lowercased())" }

/// A catalog of a fresh workspace in the shared database (or of `workspace` in `database`), as `user`.
func makeCatalog(workspace: String = freshWorkspace(), database: String? = nil, user: String = "postgres",
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

@Test func anEmptyWorkspaceListsNothing() throws {
    let catalog = try makeCatalog()
    #expect(try catalog.allLoRAs().isEmpty)
    #expect(try catalog.allJobs().isEmpty)
    #expect(try catalog.lora(named: "a.safetensors") == nil)
}

@Test func upsertReturnsTheRowItReplaces() throws {
    let catalog = try makeCatalog()
    #expect(try catalog.upsert(record("a.safetensors", key: "k1")) == nil)
    let replaced = try catalog.upsert(record("a.safetensors", key: "k2", size: 99))
    #expect(replaced == record("a.safetensors", key: "k1"))
    #expect(try catalog.lora(named: "a.safetensors") == record("a.safetensors", key: "k2", size: 99))
    #expect(try catalog.allLoRAs().count == 1)
}

@Test func renameKeepsTheObjectKeyAndReplacesTheTarget() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "ka"))
    try catalog.upsert(record("b.safetensors", key: "kb"))
    let replaced = try catalog.rename(from: "a.safetensors", to: "b.safetensors")
    #expect(replaced == record("b.safetensors", key: "kb"))
    #expect(try catalog.allLoRAs() == [record("b.safetensors", key: "ka")])
    // Onto a free name, nothing is replaced.
    #expect(try catalog.rename(from: "b.safetensors", to: "c.safetensors") == nil)
    #expect(try catalog.allLoRAs() == [record("c.safetensors", key: "ka")])
}

@Test func renamingAMissingRowFails() throws {
    let catalog = try makeCatalog()
    #expect(throws: CatalogError.notFound("x.ckpt")) { try catalog.rename(from: "x.ckpt", to: "y.ckpt") }
}

@Test func deleteReturnsTheRowItRemoved() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors"))
    #expect(try catalog.delete(named: "a.safetensors") == record("a.safetensors"))
    #expect(try catalog.delete(named: "a.safetensors") == nil)
    #expect(try catalog.allLoRAs().isEmpty)
}

@Test func replaceAllLoRAsReplacesEveryRow() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("old.safetensors"))
    let rebuilt = (0..<300).map { record("r\($0).safetensors", size: Int64($0)) }
    try catalog.replaceAllLoRAs(with: rebuilt)
    #expect(try catalog.allLoRAs() == rebuilt.sorted { $0.name < $1.name })
    try catalog.replaceAllLoRAs(with: [])
    #expect(try catalog.allLoRAs().isEmpty)
}

@Test func everyFieldRoundTripsWhateverItHolds() throws {
    let catalog = try makeCatalog()
    // Characters that array literals and SQL quote: the values travel as parameters, so none matters.
    let awkward = [#"quote".safetensors"#, #"back\slash.ckpt"#, "comma,{brace}.ckpt", "NULL", "it's; DROP TABLE lorafs_loras;--",
                   "space and\ttab.ckpt", "ünïcödé-名前.safetensors", "emoji-🎞️.ckpt"]
    var rows: [LoRARecord] = []
    for (index, name) in awkward.enumerated() {
        var row = record(name, key: "key-\(name)", size: Int64.max - Int64(index))
        row.uploadedAt = [0.1, 1e300, -0.0, 1_700_000_000.123456789, .leastNonzeroMagnitude, .infinity, 1, 2][index]
        row.rank = index.isMultiple(of: 2) ? nil : Int(Int32.max) + index
        row.hiddenSize = index.isMultiple(of: 3) ? nil : 5120
        row.hasImageCrossAttention = index.isMultiple(of: 2)
        row.timestepRange = index == 1 ? "875,1000" : nil
        row.triggerPhrase = index == 2 ? #"a "quoted" \ phrase"# : nil
        row.baseModel = index == 3 ? "" : nil
        rows.append(row)
    }
    // One at a time (upsert's statement) and all at once (replaceAll's arrays).
    for row in rows { try catalog.upsert(row) }
    let sorted = rows.sorted { $0.name < $1.name }
    #expect(try catalog.allLoRAs() == sorted)
    try catalog.replaceAllLoRAs(with: [])
    try catalog.replaceAllLoRAs(with: rows)
    #expect(try catalog.allLoRAs() == sorted)
    for row in rows { #expect(try catalog.lora(named: row.name) == row) }
    #expect(try catalog.changes(since: 0).upserted == sorted)
}

@Test func workspacesOfOneDatabaseAreApart() throws {
    let first = try makeCatalog()
    let second = try makeCatalog()
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

@Test func jobsAreStoredUpdatedAndForgotten() throws {
    let catalog = try makeCatalog()
    let boat = job("boat", createdAt: 2)
    try catalog.insertJob(boat)
    try catalog.insertJob(job("ark", createdAt: 1))
    #expect(throws: CatalogError.exists("boat")) { try catalog.insertJob(boat) }
    var done = boat
    done.state = "completed"
    done.statusURL = "https://queue.example/status?x='1'"
    done.responseURL = "https://queue.example/response"
    done.cancelURL = "https://queue.example/cancel"
    done.error = "none"
    done.updatedAt = 3.25
    done.outputKey = "workspaces/t/jobs/boat/output.mp4"
    done.outputSize = 1 << 40
    try catalog.updateJob(done)
    #expect(try catalog.allJobs() == [job("ark", createdAt: 1), done])  // oldest first
    #expect(try catalog.deleteJob(named: "boat") == done)
    #expect(try catalog.deleteJob(named: "boat") == nil)
    #expect(try catalog.allJobs() == [job("ark", createdAt: 1)])
}

@Test func aMissingJobIsNotFound() throws {
    let catalog = try makeCatalog()
    #expect(throws: CatalogError.notFound("ghost")) { try catalog.updateJob(job("ghost")) }
}

@Test func loraSummariesRoundTrip() throws {
    let catalog = try makeCatalog()
    var row = record("high.safetensors")
    row.hiddenSize = 5120
    row.rank = 32
    row.timestepRange = "875,1000"
    row.triggerPhrase = "boat style"
    row.baseModel = "wan2.2"
    row.hasImageCrossAttention = true
    try catalog.upsert(row)
    #expect(try catalog.lora(named: "high.safetensors") == row)
}
