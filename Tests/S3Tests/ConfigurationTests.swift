import Foundation
import Testing

@testable import S3

@Suite("Configuration and credential resolution")
struct ConfigurationTests {
    /// A temporary home directory with `.aws/credentials` and `.aws/config`.
    final class TempHome {
        let path: String
        init(credentials: String, config: String) throws {
            path = NSTemporaryDirectory() + "lorafs-s3-home-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
            try credentials.write(toFile: path + "/.aws/credentials", atomically: true, encoding: .utf8)
            try config.write(toFile: path + "/.aws/config", atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static let credentialsFile = """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default-secret

        [dev]
        aws_access_key_id=AKIDDEV
        aws_secret_access_key=dev-secret
        aws_session_token = dev-token
        """
    static let configFile = """
        [default]
        region = eu-west-1
        [profile dev]
        region = ap-south-1
        endpoint_url = http://127.0.0.1:8333
        s3 =
          addressing_style = path
        [profile cfgonly]
        aws_access_key_id = AKIDCFG
        aws_secret_access_key = cfg-secret
        """

    @Test("the default profile comes from the shared files")
    func defaultProfile() throws {
        let home = try TempHome(credentials: Self.credentialsFile, config: Self.configFile)
        let resolved = try AWSConfigResolver.resolve(environment: [:], homeDirectory: home.path)
        #expect(resolved.credentials.accessKeyID == "AKIDDEFAULT")
        #expect(resolved.credentials.secretAccessKey == "default-secret")
        #expect(resolved.region == "eu-west-1")
        #expect(resolved.endpoint == nil)
    }

    @Test("AWS_PROFILE selects [name] in credentials and [profile name] in config")
    func namedProfile() throws {
        let home = try TempHome(credentials: Self.credentialsFile, config: Self.configFile)
        let resolved = try AWSConfigResolver.resolve(environment: ["AWS_PROFILE": "dev"], homeDirectory: home.path)
        #expect(resolved.credentials == S3Credentials(accessKeyID: "AKIDDEV", secretAccessKey: "dev-secret", sessionToken: "dev-token"))
        #expect(resolved.region == "ap-south-1")
        #expect(resolved.endpoint?.absoluteString == "http://127.0.0.1:8333")
        let fromConfig = try AWSConfigResolver.resolve(profile: "cfgonly", environment: [:], homeDirectory: home.path)
        #expect(fromConfig.credentials.accessKeyID == "AKIDCFG")
        #expect(fromConfig.region == "us-east-1")
    }

    @Test("explicit values beat the environment, which beats the files")
    func precedence() throws {
        let home = try TempHome(credentials: Self.credentialsFile, config: Self.configFile)
        let env = [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
            "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-1", "AWS_ENDPOINT_URL": "http://localhost:1",
            "AWS_ENDPOINT_URL_S3": "http://localhost:2", "AWS_PROFILE": "dev",
        ]
        let fromEnv = try AWSConfigResolver.resolve(environment: env, homeDirectory: home.path)
        #expect(fromEnv.credentials.accessKeyID == "AKIDENV")
        #expect(fromEnv.credentials.sessionToken == "env-token")
        #expect(fromEnv.region == "us-west-2")
        #expect(fromEnv.endpoint?.absoluteString == "http://localhost:2")

        let explicit = try AWSConfigResolver.resolve(
            explicitCredentials: S3Credentials(accessKeyID: "AKIDFLAG", secretAccessKey: "flag-secret"),
            explicitRegion: "sa-east-1", explicitEndpoint: "https://s3.example.com", environment: env,
            homeDirectory: home.path)
        #expect(explicit.credentials.accessKeyID == "AKIDFLAG")
        #expect(explicit.region == "sa-east-1")
        #expect(explicit.endpoint?.absoluteString == "https://s3.example.com")

        // A profile named on the command line wins over keys in the environment, as with `aws --profile`.
        let flagProfile = try AWSConfigResolver.resolve(profile: "default", environment: env, homeDirectory: home.path)
        #expect(flagProfile.credentials.accessKeyID == "AKIDDEFAULT")
        #expect(flagProfile.region == "us-west-2")
    }

    @Test("AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files; nothing found is an error")
    func filePathsAndMissing() throws {
        let home = try TempHome(credentials: Self.credentialsFile, config: Self.configFile)
        let empty = try TempHome(credentials: "", config: "")
        let moved = try AWSConfigResolver.resolve(
            environment: [
                "AWS_SHARED_CREDENTIALS_FILE": home.path + "/.aws/credentials", "AWS_CONFIG_FILE": home.path + "/.aws/config",
            ], homeDirectory: empty.path)
        #expect(moved.credentials.accessKeyID == "AKIDDEFAULT")
        #expect(moved.region == "eu-west-1")
        #expect(throws: S3ConfigurationError.missingCredentials(profile: "default")) {
            try AWSConfigResolver.resolve(environment: [:], homeDirectory: empty.path)
        }
        #expect(throws: S3ConfigurationError.self) {
            try AWSConfigResolver.resolve(environment: ["AWS_ACCESS_KEY_ID": "AKID"], homeDirectory: empty.path)
        }
    }

    @Test("secrets never appear in descriptions, debug output or dumps")
    func redaction() throws {
        let credentials = S3Credentials(accessKeyID: "AKIDVISIBLE", secretAccessKey: "TOPSECRETVALUE", sessionToken: "TOKENVALUE")
        var dumped = ""
        dump(credentials, to: &dumped)
        let resolved = try AWSConfigResolver.resolve(explicitCredentials: credentials, environment: [:], homeDirectory: "/nonexistent")
        for text in ["\(credentials)", String(reflecting: credentials), dumped, "\(resolved)"] {
            #expect(text.contains("AKIDVISIBLE"))
            #expect(!text.contains("TOPSECRETVALUE"))
            #expect(!text.contains("TOKENVALUE"))
        }
    }

    @Test("plain http is refused for hosts that are not loopback", arguments: [
        "http://s3.example.com", "http://10.0.0.5:9000", "http://192.168.1.1",
    ])
    func httpRefused(endpoint: String) {
        #expect(throws: S3ConfigurationError.self) {
            try S3Configuration(endpoint: URL(string: endpoint)!, region: "us-east-1", bucket: "bucket")
        }
        #expect((try? S3Configuration(endpoint: URL(string: endpoint)!, region: "us-east-1", bucket: "bucket", allowHTTP: true)) != nil)
    }

    @Test("plain http is allowed for loopback hosts", arguments: [
        "http://127.0.0.1:8333", "http://127.1.2.3", "http://localhost:9000", "http://[::1]:9000",
    ])
    func httpLoopback(endpoint: String) throws {
        let config = try S3Configuration(endpoint: URL(string: endpoint)!, region: "us-east-1", bucket: "bucket")
        #expect(config.addressing == .path)
    }

    @Test("addressing defaults: virtual-hosted on AWS, path elsewhere; bad names refused")
    func addressing() throws {
        let aws = try S3Configuration(endpoint: S3Configuration.awsEndpoint(region: "eu-west-1"), region: "eu-west-1", bucket: "loras")
        #expect(aws.addressing == .virtualHosted)
        #expect(aws.target(key: "a b").url(query: "") == "https://loras.s3.eu-west-1.amazonaws.com/a%20b")
        let local = try S3Configuration(endpoint: URL(string: "https://minio.example.com:9443")!, region: "us-east-1", bucket: "loras")
        #expect(local.target(key: "x").url(query: "") == "https://minio.example.com:9443/loras/x")
        let ipv6 = try S3Configuration(endpoint: URL(string: "http://[::1]:9000")!, region: "us-east-1", bucket: "loras")
        #expect(ipv6.target(key: nil).hostHeader == "[::1]:9000")
        #expect(throws: S3ConfigurationError.self) {
            try S3Configuration(endpoint: URL(string: "https://s3.example.com")!, region: "us-east-1", bucket: "Bad_Name")
        }
        #expect(throws: S3ConfigurationError.self) {
            try S3Configuration(endpoint: URL(string: "https://s3.example.com/prefix")!, region: "us-east-1", bucket: "loras")
        }
    }

    @Test("UTC time: SigV4 stamps; URI decoding")
    func dates() {
        #expect(UTCTime.amzDate(Date(timeIntervalSince1970: 1_369_353_600)) == "20130524T000000Z")
        #expect(URIEncoding.decode("a+b%2Bc%C3%BC", plusIsSpace: true) == "a b+cü")
    }
}
