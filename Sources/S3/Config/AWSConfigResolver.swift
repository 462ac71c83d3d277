import Foundation

/// Credentials, region and endpoint as the AWS tools would find them.
public struct ResolvedAWSConfiguration: Sendable, CustomStringConvertible {
    /// The credentials found.
    public var credentials: S3Credentials
    /// The region (default `us-east-1`).
    public var region: String
    /// A custom endpoint, or nil for AWS itself.
    public var endpoint: URL?
    /// The profile that was consulted.
    public var profile: String
    /// A CA bundle path (`AWS_CA_BUNDLE` or `ca_bundle`), if any.
    public var caBundlePath: String?

    /// Redacted: the credentials' secret parts never appear.
    public var description: String {
        "ResolvedAWSConfiguration(\(credentials), region: \(region), endpoint: \(endpoint?.absoluteString ?? "AWS"), profile: \(profile))"
    }
}

/// Finds credentials, region and endpoint in the standard AWS places.
///
/// Order, first found wins:
/// 1. explicit values (command-line flags);
/// 2. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
///    `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_CA_BUNDLE`;
///    environment keys are skipped when a profile is named explicitly, as the AWS CLI does for `--profile`;
/// 3. the profile (explicit, else `AWS_PROFILE`, else `default`) in `~/.aws/credentials` (`[name]`) and
///    `~/.aws/config` (`[profile name]`, `[default]`); `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`
///    move those files.
public enum AWSConfigResolver {
    /// Resolves everything; environment and home directory are injected so tests control them.
    ///
    /// - Throws: ``S3ConfigurationError/missingCredentials(profile:)`` when no key pair is found, or
    ///   ``S3ConfigurationError/incompleteCredentials(profile:missing:)`` for half a pair.
    public static func resolve(
        explicitCredentials: S3Credentials? = nil, explicitRegion: String? = nil, explicitEndpoint: String? = nil,
        profile explicitProfile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String = NSHomeDirectory()
    ) throws(S3ConfigurationError) -> ResolvedAWSConfiguration {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func expand(_ path: String) -> String {
            path.hasPrefix("~/") ? homeDirectory + path.dropFirst(1) : path
        }
        let profile = explicitProfile ?? env("AWS_PROFILE") ?? "default"
        let credentialsFile = AWSSharedFile(path: expand(env("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials"))
        let configFile = AWSSharedFile(path: expand(env("AWS_CONFIG_FILE") ?? "~/.aws/config"))
        let fromConfig = configFile.configProfile(profile)

        var credentials = explicitCredentials
        if credentials == nil, explicitProfile == nil, let id = env("AWS_ACCESS_KEY_ID") {
            guard let secret = env("AWS_SECRET_ACCESS_KEY") else {
                throw .incompleteCredentials(profile: "environment", missing: "AWS_SECRET_ACCESS_KEY")
            }
            credentials = S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN"))
        }
        if credentials == nil {
            for settings in [credentialsFile.credentialsProfile(profile), fromConfig] {
                guard let id = settings["aws_access_key_id"] else { continue }
                guard let secret = settings["aws_secret_access_key"] else {
                    throw .incompleteCredentials(profile: profile, missing: "aws_secret_access_key")
                }
                credentials = S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: settings["aws_session_token"])
                break
            }
        }
        guard let credentials else { throw .missingCredentials(profile: profile) }

        let region = explicitRegion ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? fromConfig["region"] ?? "us-east-1"
        let endpointText = explicitEndpoint ?? env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL") ?? fromConfig["endpoint_url"]
        var endpoint: URL?
        if let endpointText {
            guard let url = URL(string: endpointText), url.scheme != nil, url.host != nil else {
                throw .invalidEndpoint(endpointText)
            }
            endpoint = url
        }
        return ResolvedAWSConfiguration(
            credentials: credentials, region: region, endpoint: endpoint, profile: profile,
            caBundlePath: env("AWS_CA_BUNDLE") ?? fromConfig["ca_bundle"].map(expand))
    }
}

extension S3Configuration {
    /// A configuration for `bucket` from resolved AWS settings; the regional AWS endpoint when none was set.
    public init(
        resolved: ResolvedAWSConfiguration, bucket: String, addressing: Addressing? = nil, allowHTTP: Bool = false
    ) throws(S3ConfigurationError) {
        try self.init(
            endpoint: resolved.endpoint ?? Self.awsEndpoint(region: resolved.region), region: resolved.region,
            bucket: bucket, addressing: addressing, allowHTTP: allowHTTP, caBundlePath: resolved.caBundlePath)
    }
}
