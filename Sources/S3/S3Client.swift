import Foundation
import HTTPTransport
import Hashing
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
        options.connectTimeoutSeconds = Int(retryPolicy.connectTimeout.rounded(.up))
        options.lowSpeedSeconds = Int(retryPolicy.noProgressTimeout.rounded(.up))
        self.transportOptions = options
    }

    /// A presigned `GET` URL for `key`, valid for `seconds` (1...604800) from `now`.
    public func presignedGetURL(key: String, expiresIn seconds: Int, now: Date = Date()) throws(S3Error) -> String {
        try signer.presignedURL(method: "GET", key: key, configuration: configuration, expires: seconds, date: now)
    }
}

// MARK: - Sending a request: signing, the transport, retries

/// One S3 operation before signing.
struct S3Operation {
    var name: String
    var method: String
    var key: String?
    var query: [(name: String, value: String)] = []
    /// Headers that are signed (besides `host` and the `x-amz-*` ones the signer adds).
    var headers: [(name: String, value: String)] = []
    var payloadHash = SigV4Signer.emptyPayloadHash
    var responseLimit = 16 << 20
    var expectedResponseSize: Int?
    /// A 2xx body goes here (``HTTPRequest/responseSink``).
    var responseSink: UnsafeMutableRawBufferPointer?
    /// False for requests that must not run twice (CreateMultipartUpload): retried only if never sent.
    var idempotent = true
    /// Statuses that are not errors besides 2xx (404 for HEAD, say).
    var acceptedStatuses: Set<Int> = []
}

extension S3Client {
    /// Signs and sends `operation`, retrying per the policy. `check` may turn a 2xx answer into an error
    /// (CompleteMultipartUpload can answer 200 with an `<Error>` body).
    func send(
        _ operation: S3Operation, body: UnsafeRawBufferPointer? = nil,
        check: (HTTPResponse) -> S3Error? = { _ in nil }
    ) throws(S3Error) -> HTTPResponse {
        let target = configuration.target(key: operation.key)
        let url = target.url(query: QueryParameters(operation.query).canonicalString)
        var attempt = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(retryPolicy.deadline * 1000))
        while true {
            attempt += 1
            let started = ContinuousClock.now
            let signed = signer.sign(
                method: operation.method, path: target.path, query: operation.query,
                headers: [("host", target.hostHeader)] + operation.headers, payloadHash: operation.payloadHash,
                date: Date())
            var request = HTTPRequest(
                method: operation.method, url: url, headers: operation.headers + signed.headers, body: body,
                responseLimit: operation.responseLimit, expectedResponseSize: operation.expectedResponseSize)
            request.responseSink = operation.responseSink
            var options = transportOptions
            options.totalTimeoutMilliseconds = max(1, Int((deadline - ContinuousClock.now) / .milliseconds(1)))
            let result = pool.withHandle { $0.perform(request, options: options) }
            let error: S3Error
            let retryable: Bool
            switch result {
            case .success(let response):
                let ok = (200..<300).contains(response.status) || operation.acceptedStatuses.contains(response.status)
                if ok, let problem = (200..<300).contains(response.status) ? check(response) : nil {
                    error = problem
                    retryable = problem.isRetryable
                } else if ok {
                    logger.debug(
                        "S3 request",
                        metadata: [
                            "operation": "\(operation.name)", "key": "\(operation.key ?? "")",
                            "status": "\(response.status)", "attempt": "\(attempt)",
                            "duration": "\(ContinuousClock.now - started)",
                        ])
                    return response
                } else {
                    error = S3Error(response: response, operation: operation.name, key: operation.key)
                    retryable = error.isRetryable
                }
            case .failure(let failure):
                error = S3Error(
                    message: "no response from \(target.hostHeader)", transport: failure.message,
                    operation: operation.name, key: operation.key)
                retryable = failure.isRetryable && (operation.idempotent || !failure.requestMayHaveBeenSent)
            }
            let pause = retryPolicy.delay(afterAttempt: attempt)
            // A retry that could not finish before the deadline is not started.
            guard retryable, attempt < retryPolicy.maximumAttempts,
                  ContinuousClock.now + .milliseconds(Int(pause * 1000)) < deadline else { throw error }
            logger.warning(
                "S3 request failed, retrying",
                metadata: ["error": "\(error)", "attempt": "\(attempt)", "pause": "\(pause)"])
            Thread.sleep(forTimeInterval: pause)
        }
    }

    /// Runs `body` on the bytes of `array` without copying them.
    func withBytes<Result>(
        _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(S3Error) -> Result
    ) throws(S3Error) -> Result {
        let outcome: Swift.Result<Result, S3Error> = array.withUnsafeBytes { bytes in
            do throws(S3Error) { return .success(try body(bytes)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// `x-amz-meta-*` headers; names and values must be printable ASCII (S3 mangles the rest).
    func metadataHeaders(_ metadata: [String: String], key: String, operation: String) throws(S3Error)
        -> [(name: String, value: String)]
    {
        var headers: [(name: String, value: String)] = []
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let printable = { (text: String) in text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f } }
            guard !name.isEmpty, printable(name), printable(value), !name.contains(":"), !name.contains(" ") else {
                throw S3Error(
                    code: "InvalidArgument", message: "metadata '\(name)' must be printable ASCII",
                    operation: operation, key: key)
            }
            headers.append(("x-amz-meta-" + name.lowercased(), value))
        }
        return headers
    }
}

extension S3Error {
    /// Reads an error response: the `<Error>` document if there is one, else the status alone (HEAD).
    init(response: HTTPResponse, operation: String, key: String?) {
        let document = XMLNode.parse(response.body)
        let code = document?.string("Code") ?? Self.code(forStatus: response.status)
        self.init(
            status: response.status, code: code,
            message: document?.string("Message") ?? "HTTP \(response.status)",
            requestID: document?.string("RequestId") ?? response.header("x-amz-request-id"),
            operation: operation, key: key)
    }

    static func code(forStatus status: Int) -> String? {
        switch status {
        case 301: "PermanentRedirect"
        case 304: "NotModified"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 409: "Conflict"
        case 412: "PreconditionFailed"
        case 416: "InvalidRange"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: nil
        }
    }
}
