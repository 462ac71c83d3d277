import Foundation
import Generation
import HTTPTransport

/// JSON over HTTP for the backends, on the shared libcurl transport (TLS
/// verification always on). Secrets go in headers only, never in errors.
struct JSONHTTPClient: Sendable {
    let authorization: String?
    let pool = CurlHandlePool(maximumIdle: 4)
    let options: TransportOptions

    init(authorization: String?) {
        self.authorization = authorization
        var options = TransportOptions()
        options.connectTimeoutSeconds = 10
        options.lowSpeedSeconds = 30
        self.options = options
    }

    /// Sends a request; 2xx bodies are returned, anything else is a `BackendError`.
    func send(_ method: String, _ url: String, json: [UInt8]? = nil, authorized: Bool = true,
              responseLimit: Int = 16 << 20) throws(BackendError) -> [UInt8] {
        var headers: [(name: String, value: String)] = [("Accept", "application/json"), ("Expect", "")]
        if json != nil { headers.append(("Content-Type", "application/json")) }
        if authorized, let authorization { headers.append(("Authorization", authorization)) }
        let result: Result<HTTPResponse, TransportError>
        if let json {
            result = json.withUnsafeBytes { body in
                pool.perform(HTTPRequest(method: method, url: url, headers: headers, body: body, responseLimit: responseLimit),
                             options: options)
            }
        } else {
            result = pool.perform(HTTPRequest(method: method, url: url, headers: headers, responseLimit: responseLimit),
                                  options: options)
        }
        switch result {
        case .failure(let error):
            throw BackendError("\(method) \(Self.redacted(url)): \(error.message)", isTransient: error.isRetryable)
        case .success(let response) where (200..<300).contains(response.status):
            return response.body
        case .success(let response):
            let detail = FalResponse.errorMessage(response.body)
                ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            let transient = response.status >= 500 || response.status == 429 || response.status == 408
            throw BackendError("\(method) \(Self.redacted(url)): HTTP \(response.status): \(detail)", isTransient: transient)
        }
    }

    /// Fetches a finished video (a URL or base64 in the status).
    func download(_ video: VideoOutput) throws(BackendError) -> [UInt8] {
        switch video {
        case .base64(let text):
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw BackendError("the video in the backend's answer is not valid base64", isTransient: false)
            }
            return [UInt8](data)
        case .url(let url):
            // Output URLs are presigned by the provider: never send our key to them.
            return try send("GET", url, authorized: false, responseLimit: 4 << 30)
        }
    }

    /// A URL for messages: no query string (presigned URLs carry credentials).
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}
