import Foundation
import Logging
import SQLiteCatalog
@testable import LoRAFSCore

/// A workspace over an in-memory store and catalog, with a temp state directory.
///
/// Parts default to 1 KiB, so a multipart upload of several parts takes a few
/// KiB and the tests stay fast. The store's minimum part size is lowered to the
/// part size (never above S3's 5 MiB), so a part shorter than the workspace's
/// parts, other than the last, is still refused at complete, as S3 refuses one
/// under 5 MiB from a mount with 8 MiB parts. `Fixture(partSize: 8 << 20)` is the
/// mount's real part size against S3's real minimum.
struct Fixture {
    let store: MemoryObjectStore
    let catalog: SQLiteCatalog
    let fs: WorkspaceFilesystem
    let partSize: UInt64
    let stateDirectory: String

    /// - Parameters:
    ///   - store: another fixture's store, for a second mount of the same workspace.
    ///   - stateDirectory: an earlier fixture's, for a remount (a fresh one by default).
    ///   - deleteDelay: objects no name points at are deleted at once by default.
    init(partSize: UInt64 = 1024, maxFileSize: UInt64 = WorkspaceOptions.absoluteMaxFileSize, s3Timeout: Double = 120,
         store: MemoryObjectStore? = nil, stateDirectory: String? = nil, catalog: SQLiteCatalog? = nil,
         deleteDelay: TimeInterval = 0, configure: (inout WorkspaceOptions) -> Void = { _ in }) throws {
        let directory = stateDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("lorafs-core-\(UUID())").path
        var options = try WorkspaceOptions(workspace: "test", bucket: "bucket", stateDirectory: directory, maxFileSize: maxFileSize)
        options.partSize = partSize
        options.maxPartsInFlight = 2
        options.s3Timeout = s3Timeout
        // Refreshes only when a test asks (`fs.refresh()`).
        options.refreshInterval = 0
        options.deleteDelay = deleteDelay
        configure(&options)
        self.partSize = partSize
        self.stateDirectory = directory
        self.store = store ?? MemoryObjectStore(minimumPartSize: Int(min(partSize, UInt64(MemoryObjectStore.s3MinimumPartSize))))
        self.catalog = try catalog ?? SQLiteCatalog()
        fs = try WorkspaceFilesystem(options: options, store: self.store, catalog: self.catalog, logger: Logger(label: "test"))
    }

    /// What `cp` does: create, write in chunks, close (flush + release).
    func copy(_ bytes: [UInt8], to name: String, chunk: Int = 700) throws {
        let handle = try fs.create(path: "/" + name)
        defer { fs.release(handle: handle) }
        try write(bytes, handle: handle, chunk: chunk)
        try fs.flush(handle: handle)
    }

    func write(_ bytes: [UInt8], handle: UInt64, at start: Int = 0, chunk: Int = 700) throws {
        var offset = start
        while offset < start + bytes.count {
            let end = min(start + bytes.count, offset + chunk)
            let slice = Array(bytes[(offset - start)..<(end - start)])
            _ = try slice.withUnsafeBytes { buffer in
                try fs.write(handle: handle, offset: UInt64(offset), bytes: buffer)
            }
            offset = end
        }
    }

    /// Writes `bytes` in `chunk`-byte writes until one fails; returns the offset
    /// of that write and its errno, or nil when every write succeeded.
    func firstRefusedWrite(_ bytes: [UInt8], handle: UInt64, chunk: Int = 700) -> (offset: Int, errno: Int32)? {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            do {
                _ = try Array(bytes[offset..<end]).withUnsafeBytes { try fs.write(handle: handle, offset: UInt64(offset), bytes: $0) }
            } catch {
                return (offset, (error as? FSError)?.errno ?? -1)
            }
            offset = end
        }
        return nil
    }

    func read(_ name: String) throws -> [UInt8] {
        let handle = try fs.open(path: "/" + name, mode: .init(write: false, truncate: false))
        defer { fs.release(handle: handle) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 333)
        while true {
            let n = try buffer.withUnsafeMutableBytes { raw in
                try fs.read(handle: handle, offset: UInt64(result.count), into: raw)
            }
            if n == 0 { return result }
            result += buffer[0..<n]
        }
    }

    /// The number of parts a file of `size` bytes takes; `full` only counts whole ones.
    func parts(of size: Int, full: Bool = false) -> Int {
        let part = Int(partSize)
        return full ? size / part : (size + part - 1) / part
    }

    /// Waits (at most `seconds`) until `condition` holds; returns whether it did.
    func eventually(within seconds: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}
