import Catalog
import PostgreSQLCatalog
import Testing

@Test func conditionalUpsertInsertsOnlyWhereNoRowIs() throws {
    let catalog = try makeCatalog()
    #expect(try catalog.upsert(record("a.safetensors", key: "k1"), ifCurrentObjectKey: nil) == nil)
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: nil, found: "k1")) {
        try catalog.upsert(record("a.safetensors", key: "k2"), ifCurrentObjectKey: nil)
    }
    #expect(try catalog.lora(named: "a.safetensors")?.objectKey == "k1")
}

@Test func conditionalUpsertReplacesOnlyTheRowItRead() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "k1"))
    #expect(try catalog.upsert(record("a.safetensors", key: "k2"), ifCurrentObjectKey: "k1")?.objectKey == "k1")
    // A second writer that also read k1 is too late.
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: "k1", found: "k2")) {
        try catalog.upsert(record("a.safetensors", key: "k3"), ifCurrentObjectKey: "k1")
    }
    #expect(throws: CatalogError.conflict(name: "b.safetensors", expected: "k1", found: nil)) {
        try catalog.upsert(record("b.safetensors", key: "k4"), ifCurrentObjectKey: "k1")
    }
    #expect(try catalog.allLoRAs() == [record("a.safetensors", key: "k2")])
    #expect(try catalog.changeVersion() == 2)
}

@Test func conditionalRenameMovesOnlyTheRowItRead() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "ka"))
    try catalog.upsert(record("b.safetensors", key: "kb"))
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: "stale", found: "ka")) {
        try catalog.rename(from: "a.safetensors", to: "c.safetensors", ifCurrentObjectKey: "stale")
    }
    #expect(throws: CatalogError.conflict(name: "x.safetensors", expected: "ka", found: nil)) {
        try catalog.rename(from: "x.safetensors", to: "c.safetensors", ifCurrentObjectKey: "ka")
    }
    #expect(try catalog.allLoRAs() == [record("a.safetensors", key: "ka"), record("b.safetensors", key: "kb")])

    let replaced = try catalog.rename(from: "a.safetensors", to: "b.safetensors", ifCurrentObjectKey: "ka")
    #expect(replaced?.objectKey == "kb")
    #expect(try catalog.allLoRAs() == [record("b.safetensors", key: "ka")])
    #expect(try catalog.changeVersion() == 3)
}

@Test func conditionalDeleteRemovesOnlyTheRowItRead() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "k2"))
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: "k1", found: "k2")) {
        try catalog.delete(named: "a.safetensors", ifCurrentObjectKey: "k1")
    }
    #expect(try catalog.lora(named: "a.safetensors")?.objectKey == "k2")
    #expect(try catalog.delete(named: "a.safetensors", ifCurrentObjectKey: "k2")?.objectKey == "k2")
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: "k2", found: nil)) {
        try catalog.delete(named: "a.safetensors", ifCurrentObjectKey: "k2")
    }
    #expect(try catalog.allLoRAs().isEmpty)
}

@Test func aConflictSeenByAnotherMountChangesNothing() throws {
    let workspace = freshWorkspace()
    let mine = try makeCatalog(workspace: workspace)
    let theirs = try makeCatalog(workspace: workspace)
    try mine.upsert(record("a.safetensors", key: "k1"))
    let seen = try theirs.lora(named: "a.safetensors")
    try mine.upsert(record("a.safetensors", key: "k2"), ifCurrentObjectKey: "k1")
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: seen?.objectKey, found: "k2")) {
        try theirs.delete(named: "a.safetensors", ifCurrentObjectKey: seen?.objectKey ?? "")
    }
    #expect(try theirs.lora(named: "a.safetensors")?.objectKey == "k2")
    #expect(try theirs.changeVersion() == 2)
}
