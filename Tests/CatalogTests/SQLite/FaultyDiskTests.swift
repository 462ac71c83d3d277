import Catalog
import Foundation
import SQLiteCatalog
import Testing

/// A catalog on a real file system that breaks: a tmpfs mounted for the test
/// (the tests run as root) and filled up under an open catalog.
/// SQLite's result codes stay below the catalog: what comes out is what they mean.
@Suite(.serialized) struct FaultyDiskTests {
    private static func sh(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", arguments.joined(separator: " ")]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }

    /// A tmpfs of `size` on a fresh directory; `body` runs with it; it is unmounted after.
    private static func withDisk(size: String, _ body: (URL) throws -> Void) throws {
        let dir = try temporaryDirectory()
        try sh("mount -t tmpfs -o size=\(size) lorafs-test", dir.path)
        defer {
            try? sh("umount", dir.path)
            try? FileManager.default.removeItem(at: dir)
        }
        try body(dir)
    }

    @Test func aFullDiskIsNoSpaceAndLeavesTheRowsBefore() throws {
        try Self.withDisk(size: "512k") { dir in
            let catalog: any LoRACatalog = try SQLiteCatalog(path: dir.appendingPathComponent("catalog.sqlite").path)
            var stored = 0
            var failure: (any Error)?
            for i in 0..<100_000 {
                let name = String(repeating: "n", count: 200) + "\(i).safetensors"
                do { try catalog.upsert(record(name)) } catch { failure = error; break }
                stored += 1
            }
            guard case CatalogError.noSpace(let operation, let message)? = failure as? CatalogError else {
                Issue.record("after \(stored) rows: expected .noSpace, got \(String(describing: failure))")
                return
            }
            #expect(stored > 10)
            #expect(operation == "upsert")
            #expect(message.contains("full"), "\(message)")
            // Nothing half-written: every row that was acknowledged is there.
            #expect(try catalog.allLoRAs().count == stored)
        }
    }
}
