/// One HTTP request as the transport sends it: already signed, URL already encoded.
///
/// `body` is borrowed: it must stay valid until the request returns (requests are synchronous).
public struct HTTPRequest {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: UnsafeRawBufferPointer?
    /// Abort the transfer if the response body grows past this many bytes.
    public var responseLimit: Int
    /// Bytes to reserve for the response body up front (a ranged GET knows its size).
    public var expectedResponseSize: Int?
    /// Where a 2xx response's body goes instead of ``HTTPResponse/body`` (from its start; a body longer
    /// than the sink aborts the transfer). Borrowed like `body`: a reused buffer saves the page faults
    /// and zeroing of a fresh allocation per ranged GET.
    public var responseSink: UnsafeMutableRawBufferPointer?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: UnsafeRawBufferPointer? = nil,
                responseLimit: Int = 64 << 20, expectedResponseSize: Int? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.responseLimit = responseLimit
        self.expectedResponseSize = expectedResponseSize
    }
}

/// The answer to an ``HTTPRequest``.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased, in arrival order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Bytes written to the request's ``HTTPRequest/responseSink`` (0 without one).
    public var sinkCount = 0

    /// The last value of header `name` (lowercase).
    public func header(_ name: String) -> String? { headers.last { $0.name == name }?.value }
}

/// A request that got no HTTP response: connection refused, reset, timed out, TLS failure...
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// libcurl's `CURLcode`.
    public var code: Int
    /// libcurl's description, with detail from its error buffer.
    public var message: String
    /// Whether trying again may help (not for a malformed URL, a TLS verification failure, or an oversized
    /// response).
    public var isRetryable: Bool
    /// False when the connection was never made, so even a non-idempotent request is safe to retry.
    public var requestMayHaveBeenSent: Bool
}

extension TransportError {
    public var description: String { message }
}

/// Connection settings of the transport.
public struct TransportOptions: Sendable {
    public var connectTimeoutSeconds = 10
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds` is abandoned.
    public var lowSpeedBytesPerSecond = 1
    public var lowSpeedSeconds = 60
    /// The whole transfer is abandoned after this long (0: no limit).
    public var totalTimeoutMilliseconds = 0
    public var caBundlePath: String?

    public init() {}
}
