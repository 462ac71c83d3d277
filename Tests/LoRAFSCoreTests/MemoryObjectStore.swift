import Foundation
import Hashing
import LoRAFSCore
import Synchronization

/// An in-memory object store with switchable faults, to drive the filesystem
/// logic without a kernel mount or a server (the e2e suite does both for real).
final class MemoryObjectStore: ObjectStore {
    struct Fault: Error, CustomStringConvertible {
        let description: String
    }

    struct State {
        var objects: [String: [UInt8]] = [:]
        var metadata: [String: [String: String]] = [:]
        var uploads: [String: (key: String, parts: [Int: [UInt8]])] = [:]
        /// Operations that fail, and the error they throw.
        var failing: [String: any Error] = [:]
        /// Operations that hang (as a server that stopped answering) until cleared, at most 10 s.
        var hanging: Set<String> = []
        var failedAborts = 0
        var nextID = 0
    }

    let state = Mutex(State())

    /// Makes an operation (`complete`, `delete`, `part`, `put`) fail until cleared,
    /// with `error` (an `S3Error` as the real client throws) or a plain fault.
    func fail(_ operation: String, _ on: Bool = true, with error: (any Error)? = nil) {
        state.withLock {
            $0.failing[operation] = on ? (error ?? Fault(description: "injected \(operation) failure")) : nil
        }
    }

    func hang(_ operation: String, _ on: Bool = true) {
        state.withLock { if on { $0.hanging.insert(operation) } else { $0.hanging.remove(operation) } }
    }

    private func check(_ operation: String) throws {
        let until = Date().addingTimeInterval(10)
        while state.withLock({ $0.hanging.contains(operation) }), Date() < until { usleep(10_000) }
        if let error = state.withLock({ $0.failing[operation] }) { throw error }
    }

    var loraKeys: [String] { state.withLock { $0.objects.keys.filter { $0.contains("/loras/") }.sorted() } }
    var openUploads: Int { state.withLock { $0.uploads.count } }
    func object(_ key: String) -> [UInt8]? { state.withLock { $0.objects[key] } }

    func putObject(key: String, body: [UInt8], metadata: [String: String], contentSHA256: [UInt8]) throws {
        try check("put")
        // As S3 does with x-amz-checksum-sha256: a body that is not what its hash says is refused.
        if !contentSHA256.isEmpty, Digest.sha256(body) != contentSHA256 { throw Fault(description: "BadDigest") }
        state.withLock {
            $0.objects[key] = body
            $0.metadata[key] = metadata
        }
    }

    func createMultipartUpload(key: String, metadata: [String: String]) throws -> String {
        try check("create")
        return state.withLock {
            $0.nextID += 1
            let id = "upload-\($0.nextID)"
            $0.uploads[id] = (key, [:])
            $0.metadata[key] = metadata
            return id
        }
    }

    func uploadPart(key: String, uploadID: String, partNumber: Int, body raw: UnsafeRawBufferPointer) throws -> String {
        let body = [UInt8](raw)
        try check("part")
        return try state.withLock {
            guard $0.uploads[uploadID] != nil else { throw Fault(description: "NoSuchUpload") }
            $0.uploads[uploadID]!.parts[partNumber] = body
            return "etag-\(partNumber)"
        }
    }

    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws {
        try check("complete")
        try state.withLock {
            guard let upload = $0.uploads.removeValue(forKey: uploadID) else { throw Fault(description: "NoSuchUpload") }
            // As S3 (and R2, which is stricter) check: parts 1...n, each one uploaded with that
            // ETag, all but the last of one size and the last no larger.
            guard parts.map(\.number) == Array(1...max(1, parts.count)), parts.count == upload.parts.count,
                  parts.allSatisfy({ $0.etag == "etag-\($0.number)" }) else { throw Fault(description: "InvalidPart") }
            let sizes = parts.map { upload.parts[$0.number]!.count }
            guard Set(sizes.dropLast()).count <= 1, sizes.last! <= (sizes.first ?? 0) else { throw Fault(description: "InvalidPartOrder: sizes \(sizes)") }
            $0.objects[key] = parts.flatMap { upload.parts[$0.number]! }
        }
    }

    /// Aborts that failed (the `abort` fault), for tests of the retry.
    var failedAborts: Int { state.withLock { $0.failedAborts } }

    func abortMultipartUpload(key: String, uploadID: String) throws {
        do { try check("abort") } catch {
            state.withLock { $0.failedAborts += 1 }
            throw error
        }
        state.withLock { _ = $0.uploads.removeValue(forKey: uploadID) }
    }

    func listMultipartUploads(prefix: String) throws -> [(key: String, uploadID: String)] {
        state.withLock { $0.uploads.filter { $0.value.key.hasPrefix(prefix) }.map { (key: $0.value.key, uploadID: $0.key) } }
    }

    func getObject(key: String, range: Range<UInt64>) throws -> [UInt8] {
        try check("get")
        return try state.withLock {
            guard let bytes = $0.objects[key] else { throw Fault(description: "NoSuchKey") }
            let upper = Int(min(UInt64(bytes.count), range.upperBound))
            return Array(bytes[Int(range.lowerBound)..<upper])
        }
    }

    func deleteObject(key: String) throws {
        try check("delete")
        state.withLock { _ = $0.objects.removeValue(forKey: key) }
    }

    func presignedGetURL(key: String, expiresIn seconds: Int) throws -> String {
        "https://memory.invalid/\(key)?X-Amz-Expires=\(seconds)"
    }

    func uri(of key: String) -> String { "s3://memory/\(key)" }

    func listObjects(prefix: String) throws -> [(key: String, size: UInt64)] {
        state.withLock { $0.objects.filter { $0.key.hasPrefix(prefix) }.map { (key: $0.key, size: UInt64($0.value.count)) } }
    }

    func metadata(of key: String) throws -> [String: String]? {
        state.withLock { $0.objects[key] == nil ? nil : ($0.metadata[key] ?? [:]) }
    }
}
