import Catalog
import PostgreSQLCatalog
import Testing

@Test func aConflictSeenByAnotherMountChangesNothing() throws {
    let workspace = freshWorkspace()
    let mine = try makePostgreSQLCatalog(workspace: workspace)
    let theirs = try makePostgreSQLCatalog(workspace: workspace)
    try mine.upsert(record("a.safetensors", key: "k1"))
    let seen = try theirs.lora(named: "a.safetensors")
    try mine.upsert(record("a.safetensors", key: "k2"), ifCurrentObjectKey: "k1")
    #expect(throws: CatalogError.conflict(name: "a.safetensors", expected: seen?.objectKey, found: "k2")) {
        try theirs.delete(named: "a.safetensors", ifCurrentObjectKey: seen?.objectKey ?? "")
    }
    #expect(try theirs.lora(named: "a.safetensors")?.objectKey == "k2")
    #expect(try theirs.changeVersion() == 2)
}
