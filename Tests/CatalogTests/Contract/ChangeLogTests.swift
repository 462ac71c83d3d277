import Catalog
import Testing

/// The change version and `changes(since:)`, alike in every engine.

@Test(arguments: CatalogEngine.allCases) func aChangedRowIsReportedOnceInItsCurrentState(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "k1"))
    try catalog.upsert(record("a.safetensors", key: "k2"))
    try catalog.delete(named: "a.safetensors")
    try catalog.upsert(record("a.safetensors", key: "k3"))
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 4, upserted: [record("a.safetensors", key: "k3")], deleted: []))
}

@Test(arguments: CatalogEngine.allCases) func everyMutationBumpsTheVersionAndReportsExactlyItsChange(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()

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

@Test(arguments: CatalogEngine.allCases) func jobsDoNotMoveTheVersion(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.insertJob(job("boat"))
    var running = job("boat")
    running.state = "running"
    try catalog.updateJob(running)
    try catalog.deleteJob(named: "boat")
    #expect(try catalog.changeVersion() == 0)
}

@Test(arguments: CatalogEngine.allCases) func noOpsAndFailuresLeaveTheVersionAlone(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
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

@Test(arguments: CatalogEngine.allCases) func replaceAllReportsOnlyTheRowsThatDiffer(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
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

@Test(arguments: CatalogEngine.allCases) func aNewCatalogHasVersionZeroAndNoChanges(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(try catalog.changeVersion() == 0)
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 0, upserted: [], deleted: []))
}
