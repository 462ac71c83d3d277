import Foundation
import Testing
import Catalog
import SQLiteCatalog

/// A fresh directory for catalog files, removed by the caller.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
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

