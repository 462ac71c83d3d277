/// What `HEAD` tells about an object.
public struct ObjectInfo: Sendable, Equatable {
    /// Size in bytes.
    public var size: UInt64
    /// The ETag without surrounding quotes (for multipart objects `md5-of-md5s-N`, not the file's MD5).
    public var etag: String
    /// User metadata from `x-amz-meta-*` headers, names lowercased and without the prefix.
    public var metadata: [String: String]
    /// The `Content-Type`, if any.
    public var contentType: String?

    /// Creates an object description.
    public init(size: UInt64, etag: String, metadata: [String: String], contentType: String? = nil) {
        self.size = size
        self.etag = etag
        self.metadata = metadata
        self.contentType = contentType
    }
}

/// One object in a listing.
public struct ObjectSummary: Sendable, Equatable {
    /// The full key.
    public var key: String
    /// Size in bytes.
    public var size: UInt64
    /// The ETag without quotes.
    public var etag: String

    /// Creates a listing entry.
    public init(key: String, size: UInt64, etag: String) {
        self.key = key
        self.size = size
        self.etag = etag
    }
}

/// A multipart upload that was created and neither completed nor aborted.
public struct MultipartUploadSummary: Sendable, Equatable {
    /// The key the upload will create.
    public var key: String
    /// The upload ID.
    public var uploadID: String

    /// Creates an upload entry.
    public init(key: String, uploadID: String) {
        self.key = key
        self.uploadID = uploadID
    }
}

/// One uploaded part, as ``S3Client/completeMultipartUpload(key:uploadID:parts:)`` needs it.
public struct CompletedPart: Sendable, Equatable {
    /// The part number, 1...10000.
    public var number: Int
    /// The ETag `uploadPart` returned.
    public var etag: String

    /// Creates a part entry.
    public init(number: Int, etag: String) {
        self.number = number
        self.etag = etag
    }
}

/// ETags arrive quoted (`"abc"`, or `&#34;abc&#34;` in SeaweedFS XML, which the parser decodes); keep the bare value.
func unquotedETag(_ value: String) -> String {
    var etag = value.trimmingCharacters(in: .whitespaces)
    if etag.hasPrefix("W/") { etag.removeFirst(2) }
    if etag.count >= 2, etag.hasPrefix("\""), etag.hasSuffix("\"") { etag = String(etag.dropFirst().dropLast()) }
    return etag
}
