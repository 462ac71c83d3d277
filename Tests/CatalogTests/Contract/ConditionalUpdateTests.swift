import Catalog
import Testing

/// Conditional updates (`ifCurrentObjectKey`), alike in every engine.

@Test(arguments: CatalogEngine.allCases) func conditionalDeleteRemovesOnlyTheRowItRead(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
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

@Test(arguments: CatalogEngine.allCases) func conditionalRenameMovesOnlyTheRowItRead(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
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

@Test(arguments: CatalogEngine.allCases) func conditionalUpsertInsertsOnlyWhereNoRowIs(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(try catalog.upsert(record("a.safetensors", key: "k1"), ifCurrentObjectKey: nil) == nil)
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: nil, found: "k1")) {
        try catalog.upsert(record("a.safetensors", key: "k2"), ifCurrentObjectKey: nil)
    }
    #expect(try catalog.lora(named: "a.safetensors")?.objectKey == "k1")
}

@Test(arguments: CatalogEngine.allCases) func conditionalUpsertReplacesOnlyTheRowItRead(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
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

@Test(arguments: CatalogEngine.allCases) func aRenameThatMayNotReplaceLeavesATargetThatAppearedAlone(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "ka"))
    try catalog.upsert(record("b.safetensors", key: "kb"))
    let version = try catalog.changeVersion()
    #expect(throws: CatalogError.conflict(name: "b.safetensors", expected: nil, found: "kb")) {
        try catalog.rename(from: "a.safetensors", to: "b.safetensors", expecting: .objectKey("ka"), replacing: .objectKey(nil))
    }
    #expect(try catalog.allLoRAs() == [record("a.safetensors", key: "ka"), record("b.safetensors", key: "kb")])
    #expect(try catalog.changeVersion() == version)
    #expect(try catalog.rename(from: "a.safetensors", to: "c.safetensors", expecting: .objectKey("ka"), replacing: .objectKey(nil)) == nil)
    #expect(try catalog.allLoRAs().map(\.name) == ["b.safetensors", "c.safetensors"])
}
