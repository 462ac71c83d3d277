import Foundation
import Hashing

extension S3Client {
    /// Starts a multipart upload to `key` and returns its upload ID. The metadata is the final object's.
    public func createMultipartUpload(key: String, metadata: [String: String] = [:]) throws(S3Error) -> String {
        var operation = S3Operation(name: "CreateMultipartUpload", method: "POST", key: key)
        operation.query = [("uploads", "")]
        operation.headers = try metadataHeaders(metadata, key: key, operation: operation.name)
        operation.idempotent = false  // a retry after a lost answer would leave an orphan upload
        let response = try send(operation, body: UnsafeRawBufferPointer(start: nil, count: 0))
        guard let uploadID = XMLNode.parse(response.body)?.string("UploadId"), !uploadID.isEmpty else {
            throw S3Error(status: response.status, message: "no UploadId in the answer", operation: operation.name, key: key)
        }
        return uploadID
    }

    /// Uploads part `partNumber` (1...10000) of an upload; every part but the last must be at least 5 MiB.
    ///
    /// The body is sent from memory without copies beyond libcurl's send buffer. Its SHA-256 signs the request
    /// (AWS verifies it) unless the transport protects it (``S3Configuration/transportProtectsPayload``);
    /// pass `contentSHA256` (raw, 32 bytes) if you already have it to skip hashing again.
    /// - Returns: the part's ETag, for ``completeMultipartUpload(key:uploadID:parts:ifNoneMatch:)``.
    public func uploadPart(
        key: String, uploadID: String, partNumber: Int, body: UnsafeRawBufferPointer, contentSHA256: [UInt8]? = nil
    ) throws(S3Error) -> String {
        guard (1...10_000).contains(partNumber) else {
            throw S3Error(code: "InvalidArgument", message: "part number \(partNumber) is not in 1...10000", operation: "UploadPart", key: key)
        }
        var operation = S3Operation(name: "UploadPart", method: "PUT", key: key)
        operation.query = [("partNumber", String(partNumber)), ("uploadId", uploadID)]
        if let contentSHA256 {
            operation.payloadHash = contentSHA256.hexString
        } else if configuration.transportProtectsPayload {
            operation.payloadHash = SigV4Signer.unsignedPayload
        } else {
            operation.payloadHash = Digest.sha256(body).hexString
        }
        let response = try send(operation, body: body)
        guard let etag = response.header("etag") else {
            throw S3Error(status: response.status, message: "no ETag for part \(partNumber)", operation: operation.name, key: key)
        }
        return unquotedETag(etag)
    }

    /// Uploads a part from an array; see ``uploadPart(key:uploadID:partNumber:body:contentSHA256:)-(_,_,_,UnsafeRawBufferPointer,_)``.
    public func uploadPart(
        key: String, uploadID: String, partNumber: Int, body: [UInt8], contentSHA256: [UInt8]? = nil
    ) throws(S3Error) -> String {
        try withBytes(body) { bytes throws(S3Error) in
            try uploadPart(key: key, uploadID: uploadID, partNumber: partNumber, body: bytes, contentSHA256: contentSHA256)
        }
    }

    /// Joins the uploaded parts into the object. Detects an `<Error>` document in a 200 answer.
    ///
    /// - Parameter ifNoneMatch: send `If-None-Match: *` (412 if the key exists), where the server supports it.
    /// - Returns: the object's ETag, without quotes.
    @discardableResult
    public func completeMultipartUpload(
        key: String, uploadID: String, parts: [(number: Int, etag: String)], ifNoneMatch: Bool = false
    ) throws(S3Error) -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\"\(Self.xmlEscaped(unquotedETag(part.etag)))\"</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        var operation = S3Operation(name: "CompleteMultipartUpload", method: "POST", key: key)
        operation.query = [("uploadId", uploadID)]
        operation.headers = [("content-type", "application/xml")]
        if ifNoneMatch { operation.headers.append(("if-none-match", "*")) }
        operation.payloadHash = Digest.sha256(body).hexString
        let response = try withBytes(body) { bytes throws(S3Error) in
            try send(operation, body: bytes) { response in
                guard let document = XMLNode.parse(response.body), document.name == "Error" else { return nil }
                var error = S3Error(response: response, operation: operation.name, key: key)
                error.status = response.status
                return error
            }
        }
        return unquotedETag(XMLNode.parse(response.body)?.string("ETag") ?? "")
    }

    /// Joins the uploaded parts; see ``completeMultipartUpload(key:uploadID:parts:ifNoneMatch:)``.
    @discardableResult
    public func completeMultipartUpload(
        key: String, uploadID: String, parts: [CompletedPart], ifNoneMatch: Bool = false
    ) throws(S3Error) -> String {
        try completeMultipartUpload(
            key: key, uploadID: uploadID, parts: parts.map { (number: $0.number, etag: $0.etag) }, ifNoneMatch: ifNoneMatch)
    }

    /// Abandons an upload and frees its parts. An upload that no longer exists (404 `NoSuchUpload`) counts as
    /// aborted.
    public func abortMultipartUpload(key: String, uploadID: String) throws(S3Error) {
        var operation = S3Operation(name: "AbortMultipartUpload", method: "DELETE", key: key)
        operation.query = [("uploadId", uploadID)]
        operation.acceptedStatuses = [404]
        _ = try send(operation)
    }

    /// Uploads under `prefix` that were started and neither completed nor aborted, all pages.
    public func listMultipartUploads(prefix: String) throws(S3Error) -> [MultipartUploadSummary] {
        var uploads: [MultipartUploadSummary] = []
        var keyMarker: String?
        var uploadIDMarker: String?
        while true {
            var operation = S3Operation(name: "ListMultipartUploads", method: "GET", key: nil)
            operation.query = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { operation.query.append(("key-marker", keyMarker)) }
            if let uploadIDMarker { operation.query.append(("upload-id-marker", uploadIDMarker)) }
            let response = try send(operation)
            guard let document = XMLNode.parse(response.body) else {
                throw S3Error(status: response.status, message: "unreadable upload listing", operation: operation.name)
            }
            for upload in document.children("Upload") {
                guard let key = upload.string("Key"), let id = upload.string("UploadId") else { continue }
                uploads.append(
                    MultipartUploadSummary(key: key, uploadID: id))
            }
            let nextKey = document.string("NextKeyMarker").flatMap { $0.isEmpty ? nil : $0 }
            guard document.string("IsTruncated") == "true", nextKey != nil else { return uploads }
            keyMarker = nextKey
            uploadIDMarker = document.string("NextUploadIdMarker")
        }
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
