import Catalog
import PostgreSQLCatalog
import Testing

@Test func aNewWorkspaceHasVersionZeroAndNoChanges() throws {
    let catalog = try makeCatalog()
    #expect(try catalog.changeVersion() == 0)
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 0, upserted: [], deleted: []))
}

@Test func everyMutationBumpsTheVersionAndReportsExactlyItsChange() throws {
    let catalog = try makeCatalog()

    try catalog.upsert(record("a.safetensors", key: "k1"))
    #expect(try catalog.changeVersion() == 1)
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 1, upserted: [record("a.safetensors", key: "k1")], deleted: []))

    try catalog.upsert(record("a.safetensors", key: "k2", size: 99))
    #expect(try catalog.changes(since: 1)
        == CatalogChanges(version: 2, upserted: [record("a.safetensors", key: "k2", size: 99)], deleted: []))

    try catalog.rename(from: "a.safetensors", to: "b.safetensors")
    #expect(try catalog.changes(since: 2)
        == CatalogChanges(version: 3, upserted: [record("b.safetensors", key: "k2", size: 99)], deleted: ["a.safetensors"]))

    try catalog.delete(named: "b.safetensors")
    #expect(try catalog.changes(since: 3) == CatalogChanges(version: 4, upserted: [], deleted: ["b.safetensors"]))
    // From the start, only the net effect: both names gone.
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 4, upserted: [], deleted: ["a.safetensors", "b.safetensors"]))
    #expect(try catalog.changes(since: 4) == CatalogChanges(version: 4, upserted: [], deleted: []))
}

@Test func aChangedRowIsReportedOnceInItsCurrentState() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "k1"))
    try catalog.upsert(record("a.safetensors", key: "k2"))
    try catalog.delete(named: "a.safetensors")
    try catalog.upsert(record("a.safetensors", key: "k3"))
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 4, upserted: [record("a.safetensors", key: "k3")], deleted: []))
}

@Test func replaceAllReportsOnlyTheRowsThatDiffer() throws {
    let catalog = try makeCatalog()
    for name in ["same.safetensors", "changed.safetensors", "gone.safetensors"] { try catalog.upsert(record(name)) }
    let before = try catalog.changeVersion()

    let rebuilt = [record("same.safetensors"), record("changed.safetensors", size: 77), record("new.ckpt")]
    try catalog.replaceAllLoRAs(with: rebuilt)
    #expect(try catalog.changes(since: before) == CatalogChanges(
        version: before + 1, upserted: [record("changed.safetensors", size: 77), record("new.ckpt")],
        deleted: ["gone.safetensors"]))

    // Rebuilding a catalog that already matches the bucket changes nothing.
    try catalog.replaceAllLoRAs(with: rebuilt)
    #expect(try catalog.changeVersion() == before + 1)
}

@Test func noOpsAndFailuresLeaveTheVersionAlone() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors"))
    #expect(try catalog.delete(named: "missing.safetensors") == nil)
    #expect(try catalog.rename(from: "a.safetensors", to: "a.safetensors") == nil)
    #expect(throws: CatalogError.notFound("missing.ckpt")) { try catalog.rename(from: "missing.ckpt", to: "b.ckpt") }
    #expect(throws: CatalogError.self) { try catalog.upsert(record("b.safetensors", key: "workspaces/t/loras/a.safetensors")) }
    #expect(throws: CatalogError.self) { try catalog.upsert(record("a.safetensors", key: "other"), ifCurrentObjectKey: nil) }
    #expect(throws: CatalogError.self) {
        try catalog.replaceAllLoRAs(with: [record("dup.safetensors", key: "k1"), record("dup.safetensors", key: "k2")])
    }
    #expect(try catalog.allLoRAs() == [record("a.safetensors")])
    #expect(try catalog.changeVersion() == 1)
    #expect(try catalog.changes(since: 1) == CatalogChanges(version: 1, upserted: [], deleted: []))
}

@Test func jobsDoNotMoveTheVersion() throws {
    let catalog = try makeCatalog()
    try catalog.insertJob(job("boat"))
    var running = job("boat")
    running.state = "running"
    try catalog.updateJob(running)
    try catalog.deleteJob(named: "boat")
    #expect(try catalog.changeVersion() == 0)
}

@Test func namesSortByTheirBytesWhateverTheDatabaseCollation() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase(
        "icu", options: "TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    // The database's own order puts `a` before `B`; the catalog's must not.
    #expect(try cluster.psql("SELECT string_agg(n, ',' ORDER BY n) FROM (VALUES ('B'), ('a'), ('_')) AS v(n)",
                             database: database) == "_,a,B")
    let catalog = try makeCatalog(database: database)
    let names = ["b.safetensors", "B.safetensors", "a.safetensors", "_x.safetensors", "Z.ckpt", "é.safetensors", "e.safetensors"]
    for name in names { try catalog.upsert(record(name)) }
    let bytewise = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    #expect(bytewise.first == "B.safetensors")
    #expect(try catalog.allLoRAs().map(\.name) == bytewise)
    #expect(try catalog.changes(since: 0).upserted.map(\.name) == bytewise)
    for name in names { try catalog.delete(named: name) }
    #expect(try catalog.changes(since: 0).deleted == bytewise)
}
