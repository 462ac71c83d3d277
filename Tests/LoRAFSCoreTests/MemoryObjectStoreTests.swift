import Hashing
import Testing

/// The test double refuses what S3 refuses, so the filesystem tests cannot pass
/// by sending what a real server would reject.
@Suite("in-memory store")
struct MemoryObjectStoreTests {
    @Test func aBodyThatIsNotWhatItsHashSaysIsRefused() throws {
        let store = MemoryObjectStore()
        #expect(throws: MemoryObjectStore.Fault.self) {
            try store.putObject(key: "k", body: [1, 2, 3], metadata: [:], contentSHA256: Digest.sha256([9]))
        }
        try store.putObject(key: "k", body: [1, 2, 3], metadata: [:], contentSHA256: Digest.sha256([1, 2, 3]))
        #expect(store.object("k") == [1, 2, 3])
    }

    @Test func partsOfUnequalSizesOrMissingNumbersAreRefusedAtComplete() throws {
        let store = MemoryObjectStore()
        let id = try store.createMultipartUpload(key: "k", metadata: [:])
        for (number, size) in [(1, 4), (2, 2), (3, 4)] {
            _ = try [UInt8](repeating: 7, count: size).withUnsafeBytes { try store.uploadPart(key: "k", uploadID: id, partNumber: number, body: $0) }
        }
        #expect(throws: MemoryObjectStore.Fault.self) {
            try store.completeMultipartUpload(key: "k", uploadID: id, parts: [(1, "etag-1"), (2, "etag-2"), (3, "etag-3")])
        }
        let second = try store.createMultipartUpload(key: "j", metadata: [:])
        _ = try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try store.uploadPart(key: "j", uploadID: second, partNumber: 1, body: $0) }
        _ = try [UInt8](repeating: 2, count: 3).withUnsafeBytes { try store.uploadPart(key: "j", uploadID: second, partNumber: 2, body: $0) }
        try store.completeMultipartUpload(key: "j", uploadID: second, parts: [(1, "etag-1"), (2, "etag-2")])
        #expect(store.object("j") == [1, 1, 1, 1, 2, 2, 2])
    }
}
