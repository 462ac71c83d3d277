import Foundation
import S3

/// The real object store: an `S3Client` seen through `ObjectStore`.
public struct S3ObjectStore: ObjectStore {
    public let client: S3Client

    public init(client: S3Client) { self.client = client }

    public func putObject(key: String, body: [UInt8], metadata: [String: String], contentSHA256: [UInt8]) throws {
        try client.putObject(key: key, body: body, metadata: metadata,
                             contentSHA256: contentSHA256.isEmpty ? nil : contentSHA256)
    }

    public func putObjectIfAbsent(key: String, body: [UInt8]) throws -> Bool {
        do {
            try client.putObject(key: key, body: body, ifNoneMatch: true)
            return true
        } catch where error.status == 412 {
            return false
        }
    }

    public func createMultipartUpload(key: String, metadata: [String: String]) throws -> String {
        let started = ContinuousClock.now
        let first: S3Error
        do {
            return try client.createMultipartUpload(key: key, metadata: metadata)
        } catch {
            first = error
        }
        // The create may have reached S3 and only its answer been lost (S3Client does not
        // resend it: not idempotent). Keys are never reused, so an upload under this key is
        // ours: adopt it; if there is none, creating again is safe. Not for a create that S3
        // answered, nor one that went without progress (a hung S3, whose held request may
        // still arrive later: the listing could miss it, and the upload is failing anyway).
        let elapsed = ContinuousClock.now - started
        guard first.status == nil, first.transport != nil,
              elapsed < .milliseconds(Int(client.retryPolicy.noProgressTimeout * 1000)) else { throw first }
        if let upload = try client.listMultipartUploads(prefix: key).first(where: { $0.key == key }) {
            return upload.uploadID
        }
        return try client.createMultipartUpload(key: key, metadata: metadata)
    }

    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: UnsafeRawBufferPointer) throws -> String {
        try client.uploadPart(key: key, uploadID: uploadID, partNumber: partNumber, body: body)
    }

    public func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws {
        do {
            _ = try client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
        } catch where error.isNotFound {
            // A retried complete whose first attempt succeeded (its answer was lost)
            // sees NoSuchUpload: the object is there. Keys are never reused, so its
            // presence means our upload completed.
            guard try client.headObject(key: key) != nil else { throw error }
        }
    }

    public func abortMultipartUpload(key: String, uploadID: String) throws {
        try client.abortMultipartUpload(key: key, uploadID: uploadID)
    }

    public func listMultipartUploads(prefix: String) throws -> [(key: String, uploadID: String)] {
        try client.listMultipartUploads(prefix: prefix).map { (key: $0.key, uploadID: $0.uploadID) }
    }

    public func getObject(key: String, range: Range<UInt64>) throws -> [UInt8] {
        try client.getObject(key: key, range: range)
    }

    public func getObject(key: String, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try client.getObject(key: key, range: range, into: buffer)
    }

    public func deleteObject(key: String) throws {
        try client.deleteObject(key: key)
    }

    public func presignedGetURL(key: String, expiresIn seconds: Int) throws -> String {
        try client.presignedGetURL(key: key, expiresIn: seconds)
    }

    public func uri(of key: String) -> String { "s3://\(client.configuration.bucket)/\(key)" }

    public func listObjects(prefix: String) throws -> [(key: String, size: UInt64)] {
        try client.listObjects(prefix: prefix).map { (key: $0.key, size: $0.size) }
    }

    public func listObjects(prefix: String, startAfter: String) throws -> [(key: String, size: UInt64)] {
        try client.listObjects(prefix: prefix, startAfter: startAfter).map { (key: $0.key, size: $0.size) }
    }

    public func metadata(of key: String) throws -> [String: String]? {
        try client.headObject(key: key)?.metadata
    }
}
