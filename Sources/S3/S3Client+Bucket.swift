import Foundation
import Hashing

extension S3Client {
    /// Checks that the bucket exists and the credentials may use it (404 or 403 otherwise).
    public func headBucket() throws(S3Error) {
        _ = try send(S3Operation(name: "HeadBucket", method: "HEAD", key: nil))
    }

    /// Creates the bucket; succeeds if it exists already and is ours.
    public func createBucket() throws(S3Error) {
        var operation = S3Operation(name: "CreateBucket", method: "PUT", key: nil)
        var body: [UInt8] = []
        if configuration.region != "us-east-1" {
            body = Array(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
            operation.headers = [("content-type", "application/xml")]
        }
        operation.payloadHash = Digest.sha256(body).hexString
        do {
            _ = try withBytes(body) { bytes throws(S3Error) in try send(operation, body: bytes) }
        } catch where error.code == "BucketAlreadyOwnedByYou" {
            return
        } catch where error.code == "BucketAlreadyExists" {
            try headBucket()  // some servers say this to the owner too; only the owner may HEAD it
        }
    }

    /// Every object whose key starts with `prefix`, in key order, fetched `pageSize` keys per request
    /// (ListObjectsV2, 1...1000).
    public func listObjects(prefix: String, pageSize: Int = 1000) throws(S3Error) -> [ObjectSummary] {
        var objects: [ObjectSummary] = []
        var continuation: String?
        repeat {
            var operation = S3Operation(name: "ListObjectsV2", method: "GET", key: nil)
            operation.query = [
                ("list-type", "2"), ("prefix", prefix), ("max-keys", String(min(max(pageSize, 1), 1000))),
                ("encoding-type", "url"),
            ]
            if let continuation { operation.query.append(("continuation-token", continuation)) }
            let response = try send(operation)
            guard let document = XMLNode.parse(response.body), document.name == "ListBucketResult" else {
                throw S3Error(status: response.status, message: "unreadable object listing", operation: operation.name)
            }
            let urlEncoded = document.string("EncodingType") == "url"
            for entry in document.children("Contents") {
                guard let rawKey = entry.string("Key") else { continue }
                objects.append(
                    ObjectSummary(
                        key: urlEncoded ? URIEncoding.decode(rawKey, plusIsSpace: true) : rawKey,
                        size: entry.string("Size").flatMap { UInt64($0) } ?? 0,
                        etag: unquotedETag(entry.string("ETag") ?? "")))
            }
            continuation = document.string("IsTruncated") == "true" ? document.string("NextContinuationToken") : nil
        } while continuation != nil
        return objects
    }
}
