import Foundation
import HTTPTransport

/// Where a bucket lives and how to address it.
public struct S3Configuration: Sendable, Equatable {
    /// How the bucket appears in request URLs.
    public enum Addressing: Sendable, Equatable {
        /// `https://host/bucket/key`: local servers, MinIO, SeaweedFS.
        case path
        /// `https://bucket.host/key`: the AWS default.
        case virtualHosted
    }

    /// The service endpoint: scheme, host and optional port, no path.
    public let endpoint: URL
    /// The signing region, e.g. `us-east-1` (Cloudflare R2 uses `auto`).
    public let region: String
    /// The bucket name.
    public let bucket: String
    /// Path style or virtual-hosted style.
    public let addressing: Addressing
    /// A CA bundle file to verify TLS with instead of the system default. Verification is always on.
    public let caBundlePath: String?

    /// Validates and creates a configuration.
    ///
    /// - Parameters:
    ///   - addressing: nil picks virtual-hosted for `*.amazonaws.com` (when the bucket name allows it) and
    ///     path style for every other endpoint.
    ///   - allowHTTP: plain `http://` is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost)
    ///     unless this is true.
    /// - Throws: ``S3ConfigurationError`` naming what is wrong.
    public init(
        endpoint: URL, region: String, bucket: String, addressing: Addressing? = nil,
        allowHTTP: Bool = false, caBundlePath: String? = nil
    ) throws(S3ConfigurationError) {
        guard let scheme = endpoint.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = endpoint.host, !host.isEmpty,
            endpoint.path.isEmpty || endpoint.path == "/", endpoint.query == nil, endpoint.fragment == nil,
            endpoint.user == nil
        else { throw .invalidEndpoint(endpoint.absoluteString) }
        if scheme == "http" && !allowHTTP && !Loopback.contains(host: host) {
            throw .insecureEndpoint(host: host)
        }
        guard !region.isEmpty, region.utf8.allSatisfy({ Self.isRegionByte($0) }) else {
            throw .invalidRegion(region)
        }
        guard Self.isValidBucketName(bucket) else { throw .invalidBucketName(bucket) }
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.caBundlePath = caBundlePath
        if let addressing {
            self.addressing = addressing
        } else {
            let isAWS = host.lowercased().hasSuffix(".amazonaws.com")
            self.addressing = isAWS && !bucket.contains(".") ? .virtualHosted : .path
        }
    }

    /// Whether the connection itself protects request bodies: TLS, or a loopback
    /// address that no network can tamper with. Then multipart part bodies are
    /// sent as `UNSIGNED-PAYLOAD` (as the AWS SDKs do over HTTPS), saving a
    /// SHA-256 pass over every byte; over plain HTTP elsewhere each part's hash is signed.
    public var transportProtectsPayload: Bool {
        endpoint.scheme?.lowercased() == "https" || Loopback.contains(host: endpoint.host ?? "")
    }

    /// The regional AWS endpoint, `https://s3.REGION.amazonaws.com`.
    public static func awsEndpoint(region: String) -> URL {
        URL(string: "https://s3.\(region).amazonaws.com")!
    }

    private static func isRegionByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-")
    }

    static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        let allowed = bytes.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
        }
        let edgesOK = bytes.first != UInt8(ascii: ".") && bytes.first != UInt8(ascii: "-")
            && bytes.last != UInt8(ascii: ".") && bytes.last != UInt8(ascii: "-")
        return allowed && edgesOK
    }
}
