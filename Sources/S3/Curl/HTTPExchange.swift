/// One HTTP request as the transport sends it: already signed, URL already encoded.
///
/// `body` is borrowed: it must stay valid until the request returns (requests are synchronous).
struct HTTPRequest {
    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    var body: UnsafeRawBufferPointer?
    /// Abort the transfer if the response body grows past this many bytes.
    var responseLimit: Int
    /// Bytes to reserve for the response body up front (a ranged GET knows its size).
    var expectedResponseSize: Int?
}

/// The answer to an ``HTTPRequest``.
struct HTTPResponse: Sendable {
    var status: Int
    /// Header names lowercased, in arrival order.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The last value of header `name` (lowercase).
    func header(_ name: String) -> String? { headers.last { $0.name == name }?.value }
}

/// A request that got no HTTP response: connection refused, reset, timed out, TLS failure...
struct TransportError: Error, Sendable {
    /// libcurl's `CURLcode`.
    var code: Int
    /// libcurl's description, with detail from its error buffer.
    var message: String
    /// Whether trying again may help (not for a malformed URL, a TLS verification failure, or an oversized
    /// response).
    var isRetryable: Bool
    /// False when the connection was never made, so even a non-idempotent request is safe to retry.
    var requestMayHaveBeenSent: Bool
}

/// Connection settings of the transport.
struct TransportOptions: Sendable {
    var connectTimeoutSeconds = 10
    /// A transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds` is abandoned.
    var lowSpeedBytesPerSecond = 1
    var lowSpeedSeconds = 60
    var caBundlePath: String?
}
