import Foundation
import Hashing
import LoRAFSCore
import S3
import Synchronization

/// An in-memory object store with switchable faults, to drive the filesystem
/// logic without a kernel mount or a server (the e2e suite does both for real).
///
/// It refuses what S3 refuses, so a test cannot pass by sending what a real
/// server would reject: a body whose `x-amz-checksum-sha256` does not match
/// (BadDigest), a part or completion of an upload that is not open under that
/// key (NoSuchUpload), parts missing, out of order or with foreign ETags
/// (InvalidPart), a part other than the last smaller than `minimumPartSize`
/// (EntityTooSmall), and parts of unequal sizes (R2 is that strict).
/// It counts every call, so tests can see what was sent, not only what is there.
final class MemoryObjectStore: ObjectStore {
    /// S3's smallest part other than the last one: 5 MiB.
    static let s3MinimumPartSize = 5 << 20

    /// The calls a test can count, make fail or make hang.
    enum Operation: String, CaseIterable, Sendable {
        case put, create, part, complete, abort, get, delete, list
    }

    struct Fault: Error, CustomStringConvertible {
        let description: String
    }

    struct Upload {
        var key: String
        var parts: [Int: [UInt8]] = [:]
    }

    struct State {
        var objects: [String: [UInt8]] = [:]
        var metadata: [String: [String: String]] = [:]
        var uploads: [String: Upload] = [:]
        /// Operations that fail, and the error they throw.
        var failing: [Operation: any Error] = [:]
        /// Operations that hang (as a server that stopped answering) until cleared, at most 10 s.
        var hanging: Set<Operation> = []
        /// Calls made, by operation (failed and hung ones included).
        var calls: [Operation: Int] = [:]
        /// Faults that were actually thrown, by operation.
        var injected: [Operation: Int] = [:]
        /// Keys of successful PUTs, in order.
        var putKeys: [String] = []
        /// Upload ids completed into an object, in order.
        var completedUploads: [String] = []
        var nextID = 0
    }

    let state = Mutex(State())
    let minimumPartSize: Int

    /// - Parameter minimumPartSize: the smallest part other than the last that
    ///   `complete` accepts; S3's 5 MiB unless a test uses smaller parts on purpose.
    init(minimumPartSize: Int = MemoryObjectStore.s3MinimumPartSize) {
        self.minimumPartSize = minimumPartSize
    }

    /// Makes an operation fail until cleared, with `error` (an `S3Error` as the
    /// real client throws) or a plain fault.
    func fail(_ operation: Operation, _ on: Bool = true, with error: (any Error)? = nil) {
        state.withLock {
            $0.failing[operation] = on ? (error ?? Fault(description: "injected \(operation) failure")) : nil
        }
    }

    func hang(_ operation: Operation, _ on: Bool = true) {
        state.withLock { if on { $0.hanging.insert(operation) } else { $0.hanging.remove(operation) } }
    }

    private func check(_ operation: Operation) throws {
        state.withLock { $0.calls[operation, default: 0] += 1 }
        let until = Date().addingTimeInterval(10)
        while state.withLock({ $0.hanging.contains(operation) }), Date() < until { usleep(10_000) }
        try state.withLock {
            guard let error = $0.failing[operation] else { return }
            $0.injected[operation, default: 0] += 1
            throw error
        }
    }

    func calls(_ operation: Operation) -> Int { state.withLock { $0.calls[operation, default: 0] } }
    /// How many times a fault set with `fail` was really thrown: a test that sets one checks it fired.
    func injected(_ operation: Operation) -> Int { state.withLock { $0.injected[operation, default: 0] } }
    /// Aborts that failed (the `abort` fault), for tests of the retry.
    var failedAborts: Int { injected(.abort) }
    var loraKeys: [String] { state.withLock { $0.objects.keys.filter { $0.contains("/loras/") }.sorted() } }
    var manifestKeys: [String] { state.withLock { $0.objects.keys.filter { $0.contains("/manifests/") }.sorted() } }
    /// Requests of every kind so far.
    var totalCalls: Int { state.withLock { $0.calls.values.reduce(0, +) } }
    var openUploads: Int { state.withLock { $0.uploads.count } }
    var openUploadIDs: [String] { state.withLock { $0.uploads.keys.sorted() } }
    func object(_ key: String) -> [UInt8]? { state.withLock { $0.objects[key] } }

    func putObject(key: String, body: [UInt8], metadata: [String: String], contentSHA256: [UInt8]) throws {
        try check(.put)
        // As S3 does with x-amz-checksum-sha256: a body that is not what its hash says is refused.
        if !contentSHA256.isEmpty, Digest.sha256(body) != contentSHA256 { throw Fault(description: "BadDigest") }
        state.withLock {
            $0.objects[key] = body
            $0.metadata[key] = metadata
            $0.putKeys.append(key)
        }
    }

    func createMultipartUpload(key: String, metadata: [String: String]) throws -> String {
        try check(.create)
        return state.withLock {
            $0.nextID += 1
            let id = "upload-\($0.nextID)"
            $0.uploads[id] = Upload(key: key)
            $0.metadata[key] = metadata
            return id
        }
    }

    func uploadPart(key: String, uploadID: String, partNumber: Int, body raw: UnsafeRawBufferPointer) throws -> String {
        let body = [UInt8](raw)
        try check(.part)
        return try state.withLock {
            guard $0.uploads[uploadID]?.key == key else { throw Fault(description: "NoSuchUpload") }
            guard (1...10_000).contains(partNumber) else { throw Fault(description: "InvalidArgument: part number \(partNumber)") }
            $0.uploads[uploadID]!.parts[partNumber] = body
            return "etag-\(partNumber)"
        }
    }

    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws {
        try check(.complete)
        try state.withLock {
            // A refused completion leaves the upload open, as S3 does: the caller must abort it.
            guard let upload = $0.uploads[uploadID], upload.key == key else { throw Fault(description: "NoSuchUpload") }
            // As S3 (and R2, which is stricter) check: parts 1...n, each one uploaded with that
            // ETag, all but the last at least the minimum and of one size, the last no larger.
            guard parts.map(\.number) == Array(1...max(1, parts.count)), parts.count == upload.parts.count,
                  parts.allSatisfy({ $0.etag == "etag-\($0.number)" }) else { throw Fault(description: "InvalidPart") }
            let sizes = parts.map { upload.parts[$0.number]!.count }
            if let small = sizes.dropLast().firstIndex(where: { $0 < minimumPartSize }) {
                throw S3Error(status: 400, code: "EntityTooSmall",
                              message: "part \(small + 1) is \(sizes[small]) bytes, under the \(minimumPartSize)-byte minimum",
                              operation: "CompleteMultipartUpload", key: key)
            }
            guard Set(sizes.dropLast()).count <= 1, sizes.last! <= (sizes.first ?? 0) else {
                throw Fault(description: "InvalidPartOrder: sizes \(sizes)")
            }
            $0.uploads[uploadID] = nil
            $0.objects[key] = parts.flatMap { upload.parts[$0.number]! }
            $0.completedUploads.append(uploadID)
        }
    }

    func abortMultipartUpload(key: String, uploadID: String) throws {
        try check(.abort)
        state.withLock { _ = $0.uploads.removeValue(forKey: uploadID) }
    }

    func listMultipartUploads(prefix: String) throws -> [(key: String, uploadID: String)] {
        state.withLock { $0.uploads.filter { $0.value.key.hasPrefix(prefix) }.map { (key: $0.value.key, uploadID: $0.key) } }
    }

    func getObject(key: String, range: Range<UInt64>) throws -> [UInt8] {
        try check(.get)
        return try state.withLock {
            guard let bytes = $0.objects[key] else { throw Fault(description: "NoSuchKey") }
            let upper = Int(min(UInt64(bytes.count), range.upperBound))
            return Array(bytes[Int(range.lowerBound)..<upper])
        }
    }

    func deleteObject(key: String) throws {
        try check(.delete)
        state.withLock { _ = $0.objects.removeValue(forKey: key) }
    }

    func presignedGetURL(key: String, expiresIn seconds: Int) throws -> String {
        "https://memory.invalid/\(key)?X-Amz-Expires=\(seconds)"
    }

    func uri(of key: String) -> String { "s3://memory/\(key)" }

    func listObjects(prefix: String) throws -> [(key: String, size: UInt64)] {
        try listObjects(prefix: prefix, startAfter: "")
    }

    func listObjects(prefix: String, startAfter: String) throws -> [(key: String, size: UInt64)] {
        try check(.list)
        return state.withLock {
            $0.objects.filter { $0.key.hasPrefix(prefix) && $0.key > startAfter }.map { (key: $0.key, size: UInt64($0.value.count)) }
                .sorted { $0.key < $1.key }
        }
    }

    func putObjectIfAbsent(key: String, body: [UInt8]) throws -> Bool {
        try check(.put)
        return state.withLock {
            guard $0.objects[key] == nil else { return false }
            $0.objects[key] = body
            $0.putKeys.append(key)
            return true
        }
    }

    func metadata(of key: String) throws -> [String: String]? {
        state.withLock { $0.objects[key] == nil ? nil : ($0.metadata[key] ?? [:]) }
    }
}
