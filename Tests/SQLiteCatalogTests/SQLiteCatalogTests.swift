import Foundation
import Testing
import Catalog
import SQLiteCatalog

/// A LoRA row whose object key defaults to one derived from the name.
func record(_ name: String, key: String? = nil, size: Int64 = 10) -> LoRARecord {
    LoRARecord(name: name, objectKey: key ?? "workspaces/t/loras/\(name)", size: size,
               sha256: String(repeating: "a", count: 64), uploadedAt: 1_700_000_000.5, kind: "safetensors")
}

/// An in-memory catalog, seen only through the protocol a PostgreSQL one would share.
func makeCatalog() throws -> any LoRACatalog { try SQLiteCatalog() }

/// A fresh directory for catalog files, removed by the caller.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Test func anEmptyCatalogListsNothing() throws {
    let catalog = try makeCatalog()
    #expect(try catalog.allLoRAs().isEmpty)
}

@Test func upsertReturnsTheRowItReplaces() throws {
    let catalog = try makeCatalog()
    #expect(try catalog.upsert(record("a.safetensors", key: "k1")) == nil)
    let replaced = try catalog.upsert(record("a.safetensors", key: "k2", size: 99))
    #expect(replaced?.objectKey == "k1")
    #expect(try catalog.lora(named: "a.safetensors")?.size == 99)
    #expect(try catalog.allLoRAs().count == 1)
}

@Test func renameKeepsTheObjectKeyAndReplacesTheTarget() throws {
    let catalog = try makeCatalog()
    try catalog.upsert(record("a.safetensors", key: "ka"))
    try catalog.upsert(record("b.safetensors", key: "kb"))
    let replaced = try catalog.rename(from: "a.safetensors", to: "b.safetensors")
    #expect(replaced?.objectKey == "kb")
    let rows = try catalog.allLoRAs()
    #expect(rows.map(\.name) == ["b.safetensors"])
    #expect(rows.first?.objectKey == "ka")
}

@Test func renamingAMissingRowFails() throws {
    let catalog = try makeCatalog()
    #expect(throws: CatalogError.notFound("x.ckpt")) { try catalog.rename(from: "x.ckpt", to: "y.ckpt") }
}

@Test func theCatalogSurvivesReopening() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("catalog.sqlite").path
    do {
        let catalog: any LoRACatalog = try SQLiteCatalog(path: path)
        try catalog.upsert(record("keep.safetensors"))
        try catalog.upsert(record("gone.safetensors"))
        #expect(try catalog.delete(named: "gone.safetensors") != nil)
    }
    let reopened: any LoRACatalog = try SQLiteCatalog(path: path)
    #expect(try reopened.allLoRAs() == [record("keep.safetensors")])
}

@Test func jobsAreStoredUpdatedAndForgotten() throws {
    let catalog = try makeCatalog()
    let job = JobRecord(name: "boat", spec: "{}", backend: "local", backendID: "id-1", state: "queued",
                        createdAt: 1, updatedAt: 1)
    try catalog.insertJob(job)
    #expect(throws: CatalogError.exists("boat")) { try catalog.insertJob(job) }
    var done = job
    done.state = "completed"
    done.outputKey = "workspaces/t/jobs/boat/output.mp4"
    try catalog.updateJob(done)
    #expect(try catalog.allJobs() == [done])
    #expect(try catalog.deleteJob(named: "boat") == done)
    #expect(try catalog.allJobs().isEmpty)
}

@Test func loraSummariesRoundTrip() throws {
    let catalog = try makeCatalog()
    var row = record("high.safetensors")
    row.hiddenSize = 5120
    row.rank = 32
    row.timestepRange = "875,1000"
    try catalog.upsert(row)
    #expect(try catalog.lora(named: "high.safetensors") == row)
}
