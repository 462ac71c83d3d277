import Foundation
import Hashing
import S3
import Testing

@Suite("S3 objects against a real server (SeaweedFS)")
struct ObjectIntegrationTests {
    @Test("put, head, ranged get, metadata round trip and delete; keys with space, +, = and unicode",
        arguments: ["plain.bin", "with space+plus=equals.safetensors", "ünïcødé/ñame ✓.bin"])
    func putHeadGetDelete(name: String) throws {
        let server = try IntegrationServer()
        let client = server.client()
        let key = IntegrationServer.uniquePrefix("object") + name
        let body = IntegrationServer.bytes(100_000)
        let metadata = ["sha256": Digest.sha256(body).hexString, "lora-name": "style_v2"]
        let etag = try client.putObject(key: key, body: body, metadata: metadata, contentSHA256: Digest.sha256(body))
        #expect(!etag.isEmpty && !etag.contains("\""))

        let info = try #require(try client.headObject(key: key))
        #expect(info.size == 100_000)
        #expect(info.etag == etag)
        #expect(info.metadata["sha256"] == metadata["sha256"])
        #expect(info.metadata["lora-name"] == "style_v2")

        #expect(try client.getObject(key: key) == body)
        #expect(try client.getObject(key: key, range: 10..<1010) == Array(body[10..<1010]))
        #expect(try client.getObject(key: key, range: 99_990..<200_000) == Array(body[99_990...]))
        #expect(try client.getObject(key: key, range: 5..<5) == [])

        try client.deleteObject(key: key)
        #expect(try client.headObject(key: key) == nil)
        try client.deleteObject(key: key)  // deleting again is fine
        let missing = #expect(throws: S3Error.self) { try client.getObject(key: key) }
        #expect(missing?.status == 404)
        #expect(missing?.code == "NoSuchKey")
    }

    @Test("a ranged get into a caller's buffer: the bytes, the count at the end of the object, errors not written into it")
    func rangedGetIntoABuffer() throws {
        let client = try IntegrationServer().client()
        let key = IntegrationServer.uniquePrefix("sink") + "x.bin"
        let body = IntegrationServer.bytes(100_000)
        try client.putObject(key: key, body: body, contentSHA256: Digest.sha256(body))
        var buffer = [UInt8](repeating: 0xEE, count: 20_000)
        let n = try buffer.withUnsafeMutableBytes { try client.getObject(key: key, range: 1000..<21_000, into: $0) }
        #expect(n == 20_000 && buffer == Array(body[1000..<21_000]))
        buffer = [UInt8](repeating: 0xEE, count: 20_000)
        let tail = try buffer.withUnsafeMutableBytes { try client.getObject(key: key, range: 95_000..<115_000, into: $0) }
        #expect(tail == 5_000 && Array(buffer[0..<5_000]) == Array(body[95_000...]))
        #expect(buffer[5_000...].allSatisfy { $0 == 0xEE })
        buffer = [UInt8](repeating: 0xEE, count: 20_000)
        let missing = #expect(throws: S3Error.self) {
            try buffer.withUnsafeMutableBytes { try client.getObject(key: key + ".gone", range: 0..<20_000, into: $0) }
        }
        #expect(missing?.code == "NoSuchKey")  // the error document was read, not sunk
        #expect(buffer.allSatisfy { $0 == 0xEE })
        try client.deleteObject(key: key)
    }

    @Test("a body that does not match its SHA-256 is refused with BadDigest")
    func checksumMismatch() throws {
        let client = try IntegrationServer().client()
        let key = IntegrationServer.uniquePrefix("baddigest") + "x.bin"
        let error = #expect(throws: S3Error.self) {
            try client.putObject(key: key, body: Array("real body".utf8), contentSHA256: Digest.sha256(Array("other".utf8)))
        }
        #expect(error?.status == 400)
        #expect(error?.code == "BadDigest" || error?.code == "XAmzContentSHA256Mismatch")
        #expect(try client.headObject(key: key) == nil)
    }

    @Test("If-None-Match: * refuses to overwrite with 412")
    func ifNoneMatch() throws {
        let client = try IntegrationServer().client()
        let key = IntegrationServer.uniquePrefix("ifnonematch") + "x.bin"
        try client.putObject(key: key, body: [1, 2, 3], ifNoneMatch: true)
        let error = #expect(throws: S3Error.self) { try client.putObject(key: key, body: [4, 5, 6], ifNoneMatch: true) }
        #expect(error?.status == 412)
        #expect(error?.isPreconditionFailed == true)
        #expect(try client.getObject(key: key) == [1, 2, 3])
        try client.deleteObject(key: key)
    }

    @Test("a wrong secret gives 403 SignatureDoesNotMatch, without the secret in the error")
    func wrongSecret() throws {
        let server = try IntegrationServer()
        let client = server.client(secret: "definitely-not-the-secret", retryPolicy: .none)
        let error = #expect(throws: S3Error.self) { try client.putObject(key: "s3tests/forbidden.bin", body: [1]) }
        #expect(error?.status == 403)
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error.map { !"\($0)".contains("definitely-not-the-secret") } == true)
        let headError = #expect(throws: S3Error.self) { try client.headBucket() }
        #expect(headError?.status == 403)
    }

    @Test("a presigned GET URL works with curl; tampered or for another key it is refused")
    func presignedURL() throws {
        let client = try IntegrationServer().client()
        let key = IntegrationServer.uniquePrefix("presign") + "my lora+v1=ü.safetensors"
        let body = IntegrationServer.bytes(4096, seed: 7)
        try client.putObject(key: key, body: body)
        let url = try client.presignedGetURL(key: key, expiresIn: 300)
        let fetched = try IntegrationServer.curl(url)
        #expect(fetched.status == 200)
        #expect(fetched.body == body)

        var tampered = url
        let last = tampered.removeLast()
        tampered.append(last == "0" ? "1" : "0")
        #expect(try IntegrationServer.curl(tampered).status == 403)
        let otherKey = url.replacingOccurrences(of: "safetensors?", with: "safetensorz?")
        #expect(try IntegrationServer.curl(otherKey).status == 403)
        let expired = try client.presignedGetURL(key: key, expiresIn: 60, now: Date(timeIntervalSinceNow: -3600))
        #expect(try IntegrationServer.curl(expired).status == 403)
        #expect(throws: S3Error.self) { try client.presignedGetURL(key: key, expiresIn: 604_801) }
        try client.deleteObject(key: key)
    }

    @Test("listObjects pages through every key under a prefix, in order, keys intact")
    func listPagination() throws {
        let client = try IntegrationServer().client()
        let prefix = IntegrationServer.uniquePrefix("list")
        let names = ["a.bin", "b c.bin", "d+e=f.bin", "g/h.bin", "ü.bin"]
        for (index, name) in names.enumerated() { try client.putObject(key: prefix + name, body: Array(repeating: 7, count: index)) }
        let listed = try client.listObjects(prefix: prefix, pageSize: 2)
        #expect(listed.map(\.key) == names.map { prefix + $0 }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(listed.map(\.size).sorted() == [0, 1, 2, 3, 4])
        #expect(listed.allSatisfy { !$0.etag.isEmpty && !$0.etag.contains("\"") })
        #expect(try client.listObjects(prefix: prefix + "zzz").isEmpty)
        for name in names { try client.deleteObject(key: prefix + name) }
        #expect(try client.listObjects(prefix: prefix).isEmpty)
    }

    @Test("bucket: head succeeds, create is idempotent for our own bucket")
    func bucket() throws {
        let client = try IntegrationServer().client()
        try client.headBucket()
        try client.createBucket()
    }
}
