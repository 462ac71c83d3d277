import Hashing
import S3
import Testing

/// The test double refuses what S3 refuses, so the filesystem tests cannot pass
/// by sending what a real server would reject.
@Suite("in-memory store")
struct MemoryObjectStoreTests {
    private func upload(_ store: MemoryObjectStore, key: String, sizes: [Int]) throws -> String {
        let id = try store.createMultipartUpload(key: key, metadata: [:])
        for (index, size) in sizes.enumerated() {
            _ = try [UInt8](repeating: UInt8(index + 1), count: size).withUnsafeBytes {
                try store.uploadPart(key: key, uploadID: id, partNumber: index + 1, body: $0)
            }
        }
        return id
    }

    private func etags(_ numbers: [Int]) -> [(number: Int, etag: String)] { numbers.map { ($0, "etag-\($0)") } }

    @Test func aBodyThatIsNotWhatItsHashSaysIsRefused() throws {
        let store = MemoryObjectStore()
        #expect(throws: MemoryObjectStore.Fault.self) {
            try store.putObject(key: "k", body: [1, 2, 3], metadata: [:], contentSHA256: Digest.sha256([9]))
        }
        try store.putObject(key: "k", body: [1, 2, 3], metadata: [:], contentSHA256: Digest.sha256([1, 2, 3]))
        #expect(store.object("k") == [1, 2, 3])
    }

    @Test func aPartUnderFiveMiBOtherThanTheLastIsRefusedWithEntityTooSmall() throws {
        let store = MemoryObjectStore()  // S3's minimum
        let small = try upload(store, key: "k", sizes: [1024, 1024])
        let error = #expect(throws: S3Error.self) { try store.completeMultipartUpload(key: "k", uploadID: small, parts: etags([1, 2])) }
        #expect(error?.code == "EntityTooSmall" && error?.status == 400)
        #expect(store.openUploadIDs == [small], "as S3 does, a refused completion leaves the upload to abort")
        // 5 MiB and a small last part, or one small part alone, are fine.
        let fine = try upload(store, key: "j", sizes: [5 << 20, 1024])
        try store.completeMultipartUpload(key: "j", uploadID: fine, parts: etags([1, 2]))
        #expect(store.object("j")?.count == (5 << 20) + 1024)
        let one = try upload(store, key: "i", sizes: [10])
        try store.completeMultipartUpload(key: "i", uploadID: one, parts: etags([1]))
        #expect(store.object("i") == [UInt8](repeating: 1, count: 10))
    }

    @Test func partsOfUnequalSizesMissingOrOutOfOrderAreRefusedAtComplete() throws {
        // A 1-byte minimum: this checks the rules on numbers and sizes apart from EntityTooSmall.
        let store = MemoryObjectStore(minimumPartSize: 1)
        let unequal = try upload(store, key: "k", sizes: [4, 2, 4])
        #expect(throws: MemoryObjectStore.Fault.self) { try store.completeMultipartUpload(key: "k", uploadID: unequal, parts: etags([1, 2, 3])) }
        let gap = try upload(store, key: "g", sizes: [4, 4, 4])
        #expect(throws: MemoryObjectStore.Fault.self) { try store.completeMultipartUpload(key: "g", uploadID: gap, parts: etags([1, 3])) }
        #expect(throws: MemoryObjectStore.Fault.self) { try store.completeMultipartUpload(key: "g", uploadID: gap, parts: etags([2, 1, 3])) }
        #expect(throws: MemoryObjectStore.Fault.self) {
            try store.completeMultipartUpload(key: "g", uploadID: gap, parts: [(1, "etag-1"), (2, "etag-9"), (3, "etag-3")])
        }
        #expect(throws: MemoryObjectStore.Fault.self) { try store.completeMultipartUpload(key: "other", uploadID: gap, parts: etags([1, 2, 3])) }
        let second = try upload(store, key: "j", sizes: [4, 3])
        try store.completeMultipartUpload(key: "j", uploadID: second, parts: etags([1, 2]))
        #expect(store.object("j") == [1, 1, 1, 1, 2, 2, 2])
        #expect(store.state.withLock { $0.completedUploads } == [second])
    }

    @Test func aFaultFiresUntilClearedAndIsCounted() throws {
        let store = MemoryObjectStore()
        store.fail(.create)
        #expect(throws: MemoryObjectStore.Fault.self) { _ = try store.createMultipartUpload(key: "k", metadata: [:]) }
        store.fail(.create, false)
        _ = try store.createMultipartUpload(key: "k", metadata: [:])
        #expect(store.calls(.create) == 2 && store.injected(.create) == 1)
    }
}
