import Foundation

/// The parts of a request URL that the signer and the transport both need, computed once.
struct S3Target: Sendable, Equatable {
    /// `http` or `https`.
    var scheme: String
    /// The `Host` header value: host, plus `:port` when it is not the scheme's default.
    var hostHeader: String
    /// The encoded path: the request path and the SigV4 canonical URI (S3 does not encode twice).
    var path: String

    /// The URL without a query.
    var baseURL: String { "\(scheme)://\(hostHeader)\(path)" }

    /// The full URL with an already-canonical query string.
    func url(query: String) -> String { query.isEmpty ? baseURL : baseURL + "?" + query }
}

extension S3Configuration {
    /// Where requests for `key` go; nil `key` addresses the bucket itself.
    func target(key: String?) -> S3Target {
        let scheme = endpoint.scheme!.lowercased()
        var host = endpoint.host!
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }  // IPv6 literal
        if let port = endpoint.port, port != (scheme == "https" ? 443 : 80) { host += ":\(port)" }
        let encodedKey = key.map { URIEncoding.encodePath($0) }
        switch addressing {
        case .path:
            let path = "/\(bucket)" + (encodedKey.map { "/" + $0 } ?? "")
            return S3Target(scheme: scheme, hostHeader: host, path: path)
        case .virtualHosted:
            return S3Target(scheme: scheme, hostHeader: "\(bucket).\(host)", path: "/" + (encodedKey ?? ""))
        }
    }
}
