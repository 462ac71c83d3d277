import Catalog
import PostgreSQLCatalog
import Testing

@Test func namesSortByTheirBytesWhateverTheDatabaseCollation() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase(
        "icu", options: "TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    // The database's own order puts `a` before `B`; the catalog's must not.
    #expect(try cluster.psql("SELECT string_agg(n, ',' ORDER BY n) FROM (VALUES ('B'), ('a'), ('_')) AS v(n)",
                             database: database) == "_,a,B")
    let catalog = try makePostgreSQLCatalog(database: database)
    let names = ["b.safetensors", "B.safetensors", "a.safetensors", "_x.safetensors", "Z.ckpt", "é.safetensors", "e.safetensors"]
    for name in names { try catalog.upsert(record(name)) }
    let bytewise = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    #expect(bytewise.first == "B.safetensors")
    #expect(try catalog.allLoRAs().map(\.name) == bytewise)
    #expect(try catalog.changes(since: 0).upserted.map(\.name) == bytewise)
    for name in names { try catalog.delete(named: name) }
    #expect(try catalog.changes(since: 0).deleted == bytewise)
}
