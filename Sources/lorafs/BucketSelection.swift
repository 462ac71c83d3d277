import ArgumentParser
import Foundation
import HTTPTransport
import Logging
import S3

/// The S3 flags shared by `mount` and `fsck`, and the client they name.
struct BucketSelection: ParsableArguments {
    @Option(help: "The S3 bucket.")
    var bucket: String

    @Option(help: "The S3 endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile, else AWS).")
    var endpoint: String?

    @Option(help: "The S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile, else us-east-1).")
    var region: String?

    @Option(help: "The AWS profile to read from ~/.aws (default: AWS_PROFILE, else default).")
    var profile: String?

    @Flag(name: .customLong("allow-http"), help: "Accept a plain http:// endpoint (S3 or generator) that is not on loopback.")
    var allowHTTP = false

    /// A client for the bucket, checked with a HEAD request. Credentials come from
    /// the standard AWS sources and are never logged.
    func connect(logger: Logger, retryPolicy: S3RetryPolicy = .standard) throws -> S3Client {
        let aws = try AWSConfigResolver.resolve(explicitRegion: region, explicitEndpoint: endpoint, profile: profile)
        let endpointURL = aws.endpoint ?? S3Configuration.awsEndpoint(region: aws.region)
        let configuration = try S3Configuration(
            endpoint: endpointURL, region: aws.region, bucket: bucket, allowHTTP: allowHTTP, caBundlePath: aws.caBundlePath)
        if endpointURL.scheme == "http" && !Loopback.contains(host: endpointURL.host ?? "") {
            logger.warning("plain HTTP to \(endpointURL.host ?? ""): requests and data are not encrypted (--allow-http)")
        }
        let client = S3Client(configuration: configuration, credentials: aws.credentials, logger: logger, retryPolicy: retryPolicy)
        do { try client.headBucket() } catch {
            throw ValidationError("cannot use bucket \"\(bucket)\" at \(endpointURL.absoluteString): \(error)")
        }
        return client
    }
}
