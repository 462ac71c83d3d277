import Foundation
import Hashing
import HTTPTransport

extension S3Client {
    /// Uploads a whole object in one request (up to 5 GiB; use multipart above a few dozen MiB).
    ///
    /// - Parameters:
    ///   - metadata: user metadata, sent as `x-amz-meta-*`; printable ASCII only.
    ///   - contentSHA256: the body's raw SHA-256 (32 bytes) if the caller has it; otherwise it is computed.
    ///     It signs the payload and goes in `x-amz-checksum-sha256`, so the server refuses a corrupted body
    ///     (`BadDigest`).
    ///   - ifNoneMatch: send `If-None-Match: *`: fail with 412 `PreconditionFailed` if the key exists.
    /// - Returns: the new object's ETag, without quotes.
    @discardableResult
    public func putObject(
        key: String, body: UnsafeRawBufferPointer, metadata: [String: String] = [:],
        contentSHA256: [UInt8]? = nil, ifNoneMatch: Bool = false
    ) throws(S3Error) -> String {
        let digest = contentSHA256 ?? Digest.sha256(body)
        guard digest.count == SHA256Hasher.digestByteCount else {
            throw S3Error(code: "InvalidArgument", message: "contentSHA256 must be 32 bytes", operation: "PutObject", key: key)
        }
        var operation = S3Operation(name: "PutObject", method: "PUT", key: key)
        operation.payloadHash = digest.hexString
        operation.headers = [("x-amz-checksum-sha256", digest.base64String)]
        if ifNoneMatch { operation.headers.append(("if-none-match", "*")) }
        operation.headers += try metadataHeaders(metadata, key: key, operation: operation.name)
        let response = try send(operation, body: body)
        return unquotedETag(response.header("etag") ?? "")
    }

    /// Uploads a whole object from an array; see ``putObject(key:body:metadata:contentSHA256:ifNoneMatch:)-(_,UnsafeRawBufferPointer,_,_,_)``.
    @discardableResult
    public func putObject(
        key: String, body: [UInt8], metadata: [String: String] = [:], contentSHA256: [UInt8]? = nil,
        ifNoneMatch: Bool = false
    ) throws(S3Error) -> String {
        try withBytes(body) { bytes throws(S3Error) in
            try putObject(key: key, body: bytes, metadata: metadata, contentSHA256: contentSHA256, ifNoneMatch: ifNoneMatch)
        }
    }

    /// Reads an object, or the bytes `range` of it (end exclusive). A range past the end of the object
    /// gives the bytes that exist; a range starting past the end fails with 416 `InvalidRange`.
    public func getObject(key: String, range: Range<UInt64>? = nil) throws(S3Error) -> [UInt8] {
        if let range, range.isEmpty { return [] }
        return try get(key: key, range: range) { operation in
            operation.responseLimit = range.map { Int(clamping: $0.count) } ?? Int.max
            operation.expectedResponseSize = range.map { Int(clamping: $0.count) }
        }.body
    }

    /// Reads the bytes `range` of an object into `buffer` (at least `range.count` bytes), without an
    /// allocation per call. Returns how many arrived (fewer at the end of the object).
    public func getObject(key: String, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws(S3Error) -> Int {
        guard !range.isEmpty else { return 0 }
        guard buffer.count >= range.count else {
            throw S3Error(code: "InvalidArgument", message: "buffer of \(buffer.count) bytes for a range of \(range.count)",
                          operation: "GetObject", key: key)
        }
        return try get(key: key, range: range) { operation in
            operation.responseSink = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(range.count)])
        }.sinkCount
    }

    /// A GET of `range` (nil: the whole object), refusing a 200 that ignored a Range not starting at 0.
    private func get(key: String, range: Range<UInt64>?, _ adjust: (inout S3Operation) -> Void) throws(S3Error) -> HTTPResponse {
        var operation = S3Operation(name: "GetObject", method: "GET", key: key)
        if let range { operation.headers = [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")] }
        adjust(&operation)
        let response = try send(operation)
        if let range, response.status == 200, range.lowerBound != 0 {
            throw S3Error(status: 200, message: "server ignored the Range header", operation: "GetObject", key: key)
        }
        return response
    }

    /// Size, ETag and user metadata of an object; nil if there is no such key.
    public func headObject(key: String) throws(S3Error) -> ObjectInfo? {
        var operation = S3Operation(name: "HeadObject", method: "HEAD", key: key)
        operation.acceptedStatuses = [404]
        let response = try send(operation)
        guard response.status != 404 else { return nil }
        var metadata: [String: String] = [:]
        for (name, value) in response.headers where name.hasPrefix("x-amz-meta-") {
            metadata[String(name.dropFirst("x-amz-meta-".count))] = value
        }
        return ObjectInfo(
            size: response.header("content-length").flatMap { UInt64($0) } ?? 0,
            etag: unquotedETag(response.header("etag") ?? ""),
            metadata: metadata, contentType: response.header("content-type"))
    }

    /// Deletes an object. Deleting a missing key succeeds.
    public func deleteObject(key: String) throws(S3Error) {
        var operation = S3Operation(name: "DeleteObject", method: "DELETE", key: key)
        operation.acceptedStatuses = [404]
        _ = try send(operation)
    }
}

// MARK: - The bucket

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

    /// Every object whose key starts with `prefix` (and sorts after `startAfter`, if given), in key
    /// order, fetched `pageSize` keys per request (ListObjectsV2, 1...1000).
    public func listObjects(prefix: String, startAfter: String? = nil, pageSize: Int = 1000) throws(S3Error) -> [ObjectSummary] {
        var objects: [ObjectSummary] = []
        var continuation: String?
        repeat {
            var operation = S3Operation(name: "ListObjectsV2", method: "GET", key: nil)
            operation.query = [
                ("list-type", "2"), ("prefix", prefix), ("max-keys", String(min(max(pageSize, 1), 1000))),
                ("encoding-type", "url"),
            ]
            if let continuation {
                operation.query.append(("continuation-token", continuation))
            } else if let startAfter {
                operation.query.append(("start-after", startAfter))
            }
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
