import Catalog
import SQLiteCatalog
import Foundation
import Testing
@testable import LoRAFSCore

@Test func fsckRebuildsFromManifestsAndFromSinglePutMetadataAndReportsTheRest() throws {
    let fixture = try Fixture(partSize: 1 << 20)
    try fixture.copy(TestLoRA.safetensors(dataBytes: 3000, seed: 1), to: "a.safetensors")
    try fixture.copy(TestLoRA.safetensors(dataBytes: 3000, seed: 2), to: "b.safetensors")
    try fixture.fs.rename(from: "/b.safetensors", to: "/c.safetensors", noReplace: false)
    fixture.fs.shutdown()  // the rename's manifest rewrite runs in the background
    let before = try fixture.catalog.allLoRAs()

    // A crash between the upload and its manifest: the small object's own metadata still names it.
    let a = try #require(before.first { $0.name == "a.safetensors" })
    try fixture.store.deleteObject(key: ObjectLayout(workspace: "test").manifestKey(forObject: a.objectKey))
    // An object nothing names.
    try fixture.store.putObject(key: "workspaces/test/loras/stray.safetensors", body: [1, 2, 3], metadata: [:], contentSHA256: [])

    let empty = try SQLiteCatalog()
    let report = try CatalogCheck(store: fixture.store, workspace: "test").run(catalog: empty, rebuild: true)
    #expect(report.missingRows == ["a.safetensors", "c.safetensors"])
    #expect(report.orphans == ["workspaces/test/loras/stray.safetensors"])
    let rebuilt = try empty.allLoRAs()
    #expect(rebuilt.map(\.name) == before.map(\.name))
    #expect(rebuilt.map(\.sha256) == before.map(\.sha256))
    #expect(rebuilt.map(\.objectKey) == before.map(\.objectKey))
    #expect(try CatalogCheck(store: fixture.store, workspace: "test").run(catalog: empty, rebuild: false).isConsistent)
}
