/// Host names that stay on this machine, where plain HTTP cannot be read or
/// altered by any network: the one rule for S3 and generator endpoints.
public enum Loopback {
    /// Whether `host` names this machine: `localhost` (and `*.localhost`,
    /// RFC 6761), an IPv4 address in 127.0.0.0/8, or `::1`; any case, IPv6
    /// with or without brackets.
    ///
    /// Only dotted-quad IPv4 counts: `127.evil.example` is a DNS name anyone can own.
    public static func contains(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host == "0:0:0:0:0:0:0:1" {
            return true
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
