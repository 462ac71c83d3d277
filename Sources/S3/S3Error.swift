/// A failed S3 request: the server's answer, or the transport failure when there was none.
///
/// Never carries credentials: only the error code, message and request ID the server returned, or libcurl's
/// error text.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// The HTTP status, nil when no response arrived (see ``transport``) or the failure was local.
    public var status: Int?
    /// The S3 error code, e.g. `NoSuchKey`, `SignatureDoesNotMatch`, `PreconditionFailed`, `BadDigest`.
    /// For bodyless responses (HEAD) it is derived from the status (`NotFound`, `Forbidden`, ...).
    public var code: String?
    /// A human message.
    public var message: String
    /// The server's request ID, for support.
    public var requestID: String?
    /// libcurl's error text when no HTTP response arrived.
    public var transport: String?
    /// The S3 operation, e.g. `PutObject`.
    public var operation: String?
    /// The object key, if the request named one.
    public var key: String?

    /// Creates an error.
    public init(
        status: Int? = nil, code: String? = nil, message: String, requestID: String? = nil,
        transport: String? = nil, operation: String? = nil, key: String? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.transport = transport
        self.operation = operation
        self.key = key
    }

    /// One line: operation, key, status, code, message, request ID.
    public var description: String {
        var text = "S3 " + (operation ?? "request")
        if let key { text += " '\(key)'" }
        text += " failed: "
        if let status { text += "HTTP \(status) " }
        if let code { text += "\(code): " }
        text += message
        if let transport, transport != message { text += " (\(transport))" }
        if let requestID { text += " [request \(requestID)]" }
        return text
    }

    /// The object or bucket does not exist (404).
    public var isNotFound: Bool { status == 404 }

    /// A condition such as `If-None-Match: *` failed (412).
    public var isPreconditionFailed: Bool { status == 412 || code == "PreconditionFailed" }

    /// Whether trying again may succeed: transport failures, 5xx, 408, 429 and throttling codes.
    public var isRetryable: Bool {
        if let code, ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"].contains(code) {
            return true
        }
        guard let status else { return transport != nil }
        return [408, 429, 500, 502, 503, 504].contains(status)
    }
}
