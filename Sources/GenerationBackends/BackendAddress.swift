import Foundation
import HTTPTransport

/// `--generator KIND:URL`, parsed and checked before anything is mounted.
public struct BackendAddress: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case fal, runpod, local }
    public var kind: Kind
    public var url: String

    /// - Throws: a message naming what is wrong (unknown kind, not a URL, plain
    ///   http to a non-loopback host without `allowHTTP`).
    public init(parsing text: String, allowHTTP: Bool) throws(BackendError) {
        guard let colon = text.firstIndex(of: ":"), let kind = Kind(rawValue: String(text[..<colon])) else {
            throw BackendError("--generator must be KIND:URL with KIND one of fal, runpod, local (got \"\(text)\")", isTransient: false)
        }
        let url = String(text[text.index(after: colon)...])
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty else {
            throw BackendError("--generator \(kind.rawValue): \"\(url)\" is not an http(s) URL", isTransient: false)
        }
        if scheme == "http" && !Loopback.contains(host: host) && !allowHTTP {
            throw BackendError("--generator \(kind.rawValue): plain http:// to \(host) is refused; use https or --allow-http", isTransient: false)
        }
        self.kind = kind
        self.url = url
    }

    /// The backend for this address, with keys from the environment
    /// (`FAL_KEY`, `RUNPOD_API_KEY`).
    public func makeBackend(environment: [String: String] = ProcessInfo.processInfo.environment) -> any GenerationBackend {
        switch kind {
        case .fal: FalBackend(endpoint: url, apiKey: environment["FAL_KEY"])
        case .runpod: RunPodBackend(kind: "runpod", endpoint: url, apiKey: environment["RUNPOD_API_KEY"])
        case .local: RunPodBackend(kind: "local", endpoint: url, apiKey: environment["RUNPOD_API_KEY"])
        }
    }
}
