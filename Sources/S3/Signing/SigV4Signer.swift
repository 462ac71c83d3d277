import Foundation
import Hashing

/// AWS Signature Version 4 for S3: signs request headers, and makes presigned URLs.
///
/// Values are taken as S3 wants them: the path is already percent-encoded (S3 does not encode it twice),
/// query parameters are raw and encoded here.
public struct SigV4Signer: Sendable {
    /// The payload hash that tells S3 the body is not signed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The SHA-256 of an empty body, hex.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Longest presigned URL lifetime S3 accepts: 7 days.
    public static let maximumPresignSeconds = 604_800

    /// The credentials that sign.
    public let credentials: S3Credentials
    /// The signing region.
    public let region: String
    /// The signing service name, `s3`.
    public let service: String

    /// Creates a signer.
    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The result of signing: the headers to add to the request.
    public struct SignedHeaders: Sendable {
        /// `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with temporary credentials) and
        /// `authorization`, in that order.
        public var headers: [(name: String, value: String)]
        /// The hex signature alone.
        public var signature: String
    }

    /// Signs a request with the `Authorization` header.
    ///
    /// - Parameters:
    ///   - path: the encoded path (``S3Client`` encodes keys; see the S3 rules in the module docs).
    ///   - query: raw query parameters.
    ///   - headers: every header to sign, including `host`; names in any case.
    ///   - payloadHash: hex SHA-256 of the body, or ``unsignedPayload``.
    public func sign(
        method: String, path: String, query: [(name: String, value: String)], headers: [(name: String, value: String)],
        payloadHash: String, date: Date
    ) -> SignedHeaders {
        let amzDate = UTCTime.amzDate(date)
        var added: [(name: String, value: String)] = [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }

        var canonical: [String: String] = [:]
        for (name, value) in headers + added {
            let name = name.lowercased()
            let value = Self.trimmed(value)
            canonical[name] = canonical[name].map { $0 + "," + value } ?? value
        }
        let names = canonical.keys.sorted()
        let signedHeaderList = names.joined(separator: ";")
        let canonicalRequest = [
            method, path, QueryParameters(query).canonicalString,
            names.map { "\($0):\(canonical[$0]!)\n" }.joined(), signedHeaderList, payloadHash,
        ].joined(separator: "\n")
        let signature = self.signature(canonicalRequest: canonicalRequest, amzDate: amzDate)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(amzDate)), "
            + "SignedHeaders=\(signedHeaderList), Signature=\(signature)"
        return SignedHeaders(headers: added + [("authorization", authorization)], signature: signature)
    }

    /// A presigned URL: anyone holding it may perform `method` on the object until it expires.
    ///
    /// - Parameter expires: lifetime in seconds, 1...604800.
    /// - Throws: ``S3Error`` with code `InvalidArgument` for a lifetime out of range.
    public func presignedURL(
        method: String = "GET", key: String, configuration: S3Configuration, expires: Int, date: Date
    ) throws(S3Error) -> String {
        guard (1...Self.maximumPresignSeconds).contains(expires) else {
            throw S3Error(
                code: "InvalidArgument", message: "presigned URL lifetime must be 1...604800 seconds, got \(expires)",
                key: key)
        }
        let target = configuration.target(key: key)
        let amzDate = UTCTime.amzDate(date)
        var query: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(amzDate))"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let canonicalQuery = QueryParameters(query).canonicalString
        let canonicalRequest = [
            method, target.path, canonicalQuery, "host:\(target.hostHeader)\n", "host", Self.unsignedPayload,
        ].joined(separator: "\n")
        let signature = self.signature(canonicalRequest: canonicalRequest, amzDate: amzDate)
        return target.url(query: canonicalQuery + "&X-Amz-Signature=" + signature)
    }

    // MARK: - Internals

    private func scope(_ amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    private func signature(canonicalRequest: String, amzDate: String) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope(amzDate), Digest.sha256(Array(canonicalRequest.utf8)).hexString,
        ].joined(separator: "\n")
        var key = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), data: Array(amzDate.prefix(8).utf8))
        for part in [region, service, "aws4_request"] {
            key = Digest.hmacSHA256(key: key, data: Array(part.utf8))
        }
        return Digest.hmacSHA256(key: key, data: Array(stringToSign.utf8)).hexString
    }

    /// Header values are trimmed and runs of spaces collapse to one.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
