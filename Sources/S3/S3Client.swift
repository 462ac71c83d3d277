import HTTPTransport
import Foundation
import Logging

/// A blocking, thread-safe S3 client over libcurl.
///
/// Every method sends its request(s) and waits: call it from a plain thread (FUSE worker, upload thread),
/// never from Swift concurrency's cooperative pool. Any number of threads may share one client; each
/// in-flight request uses its own libcurl handle, taken from a small pool of kept-alive connections.
public final class S3Client: Sendable {
    /// The bucket and endpoint this client talks to.
    public let configuration: S3Configuration
    /// The retry behaviour.
    public let retryPolicy: S3RetryPolicy
    let signer: SigV4Signer
    let logger: Logger
    let pool: CurlHandlePool
    let transportOptions: TransportOptions

    /// Creates a client. No request is sent until the first call.
    public init(
        configuration: S3Configuration, credentials: S3Credentials, logger: Logger,
        retryPolicy: S3RetryPolicy = .standard
    ) {
        self.configuration = configuration
        self.retryPolicy = retryPolicy
        self.signer = SigV4Signer(credentials: credentials, region: configuration.region)
        self.logger = logger
        self.pool = CurlHandlePool()
        var options = TransportOptions()
        options.caBundlePath = configuration.caBundlePath
        self.transportOptions = options
    }

    /// A presigned `GET` URL for `key`, valid for `seconds` (1...604800) from `now`.
    public func presignedGetURL(key: String, expiresIn seconds: Int, now: Date = Date()) throws(S3Error) -> String {
        try signer.presignedURL(method: "GET", key: key, configuration: configuration, expires: seconds, date: now)
    }
}
