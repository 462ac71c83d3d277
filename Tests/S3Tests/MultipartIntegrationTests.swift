import Foundation
import Hashing
import S3
import Testing

@Suite("S3 multipart uploads against a real server (SeaweedFS)")
struct MultipartIntegrationTests {
    @Test("three parts (5 MiB, 5 MiB, 1 KiB) complete into the object, read back equal")
    func threeParts() throws {
        let client = try IntegrationServer().client()
        let key = IntegrationServer.uniquePrefix("multipart") + "big lora+ü.safetensors"
        let sizes = [5 << 20, 5 << 20, 1024]
        let parts = sizes.enumerated().map { IntegrationServer.bytes($0.element, seed: UInt8($0.offset + 3)) }
        let uploadID = try client.createMultipartUpload(key: key, metadata: ["sha256": "feed"])
        var completed: [(number: Int, etag: String)] = []
        for (index, part) in parts.enumerated() {
            let etag = try part.withUnsafeBytes { try client.uploadPart(key: key, uploadID: uploadID, partNumber: index + 1, body: $0) }
            completed.append((index + 1, etag))
        }
        let etag = try client.completeMultipartUpload(key: key, uploadID: uploadID, parts: completed.reversed())
        #expect(etag.hasSuffix("-3"))
        let info = try #require(try client.headObject(key: key))
        #expect(info.size == UInt64(sizes.reduce(0, +)))
        #expect(info.metadata["sha256"] == "feed")
        #expect(try client.getObject(key: key) == parts.flatMap { $0 })
        #expect(try client.getObject(key: key, range: UInt64(5 << 20) - 2..<UInt64(5 << 20) + 2) == Array(parts[0].suffix(2) + parts[1].prefix(2)))
        try client.deleteObject(key: key)
    }

    @Test("an undersized non-last part fails the completion")
    func undersizedPart() throws {
        let client = try IntegrationServer().client()
        let key = IntegrationServer.uniquePrefix("small-parts") + "x.bin"
        let uploadID = try client.createMultipartUpload(key: key, metadata: [:])
        let first = try client.uploadPart(key: key, uploadID: uploadID, partNumber: 1, body: [1, 2, 3])
        let second = try client.uploadPart(key: key, uploadID: uploadID, partNumber: 2, body: [4, 5, 6])
        let error = #expect(throws: S3Error.self) {
            try client.completeMultipartUpload(key: key, uploadID: uploadID, parts: [(1, first), (2, second)])
        }
        #expect(error?.code == "EntityTooSmall")
        try client.abortMultipartUpload(key: key, uploadID: uploadID)
    }

    @Test("uploads are listed by prefix until aborted; aborting twice is fine")
    func listAndAbort() throws {
        let client = try IntegrationServer().client()
        let prefix = IntegrationServer.uniquePrefix("uploads")
        let keys = [prefix + "one.bin", prefix + "two words.bin"]
        let ids = try keys.map { try client.createMultipartUpload(key: $0, metadata: [:]) }
        _ = try client.uploadPart(key: keys[0], uploadID: ids[0], partNumber: 1, body: IntegrationServer.bytes(1000))

        let listed = try client.listMultipartUploads(prefix: prefix)
        #expect(Set(listed.map(\.uploadID)) == Set(ids))
        #expect(Set(listed.map(\.key)) == Set(keys))
        #expect(try client.listMultipartUploads(prefix: prefix + "two").map(\.key) == [keys[1]])

        for (key, id) in zip(keys, ids) { try client.abortMultipartUpload(key: key, uploadID: id) }
        #expect(try client.listMultipartUploads(prefix: prefix).isEmpty)
        try client.abortMultipartUpload(key: keys[0], uploadID: ids[0])
        let error = #expect(throws: S3Error.self) {
            try client.uploadPart(key: keys[0], uploadID: ids[0], partNumber: 2, body: [1])
        }
        #expect(error?.status == 404)
        #expect(try client.headObject(key: keys[0]) == nil)
    }
}
