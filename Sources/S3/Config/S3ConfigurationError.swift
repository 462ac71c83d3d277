/// Why an S3 configuration or the AWS credential sources could not be used.
public enum S3ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint is not an absolute `http`/`https` URL with a host and no path, query or fragment.
    case invalidEndpoint(String)
    /// `http://` to a host that is not loopback, without `allowHTTP`.
    case insecureEndpoint(host: String)
    /// The bucket name is not a valid S3 bucket name.
    case invalidBucketName(String)
    /// The region is empty or has characters a region cannot have.
    case invalidRegion(String)
    /// No access key and secret were found in the flags, the environment or the shared files.
    case missingCredentials(profile: String)
    /// The named profile has only part of a key pair.
    case incompleteCredentials(profile: String, missing: String)

    /// A sentence for the user.
    public var description: String {
        switch self {
        case .invalidEndpoint(let value):
            "invalid S3 endpoint '\(value)': expected http(s)://host[:port] with no path"
        case .insecureEndpoint(let host):
            "refusing plain http:// to '\(host)': credentials and data would cross the network unencrypted; "
                + "use https://, a loopback address, or allow HTTP explicitly"
        case .invalidBucketName(let name):
            "invalid S3 bucket name '\(name)': 3 to 63 characters of a-z, 0-9, '.', '-'"
        case .invalidRegion(let region):
            "invalid AWS region '\(region)'"
        case .missingCredentials(let profile):
            "no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                + "or add them to profile '\(profile)' in ~/.aws/credentials"
        case .incompleteCredentials(let profile, let missing):
            "S3 credentials of profile '\(profile)' lack \(missing)"
        }
    }
}
