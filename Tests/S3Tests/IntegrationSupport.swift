import Foundation
import Logging
import S3
import Testing

/// The S3 server the integration tests use, from the variables `scripts/test` exports after starting
/// SeaweedFS. Missing variables fail the tests: they are never skipped silently.
struct IntegrationServer {
    /// Thrown (so the test fails, never skips) when the server variables are not set.
    struct MissingServer: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static let variables = [
        "LORAFS_TEST_S3_ENDPOINT", "LORAFS_TEST_S3_ACCESS_KEY", "LORAFS_TEST_S3_SECRET_KEY", "LORAFS_TEST_S3_BUCKET",
    ]

    let configuration: S3Configuration
    let credentials: S3Credentials

    init() throws {
        let env = ProcessInfo.processInfo.environment
        let missing = Self.variables.filter { (env[$0] ?? "").isEmpty }
        guard missing.isEmpty else {
            let message =
                "S3 integration tests need a running S3 server: \(missing.joined(separator: ", ")) not set. "
                + "Run them through scripts/test, which starts SeaweedFS and exports these variables."
            throw MissingServer(message: message)
        }
        configuration = try S3Configuration(
            endpoint: URL(string: env["LORAFS_TEST_S3_ENDPOINT"]!)!, region: "us-east-1", bucket: env["LORAFS_TEST_S3_BUCKET"]!)
        credentials = S3Credentials(accessKeyID: env["LORAFS_TEST_S3_ACCESS_KEY"]!, secretAccessKey: env["LORAFS_TEST_S3_SECRET_KEY"]!)
    }

    func client(secret: String? = nil, retryPolicy: S3RetryPolicy = .standard) -> S3Client {
        var credentials = self.credentials
        if let secret { credentials.secretAccessKey = secret }
        var logger = Logger(label: "lorafs.s3.tests")
        logger.logLevel = .warning
        return S3Client(configuration: configuration, credentials: credentials, logger: logger, retryPolicy: retryPolicy)
    }

    /// A key prefix no other test run uses.
    static func uniquePrefix(_ name: String) -> String { "s3tests/\(name)-\(UUID().uuidString.prefix(8))/" }

    /// Deterministic test bytes.
    static func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        var state = UInt32(seed) &* 2_654_435_761
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    /// Runs `curl` on `url`; returns the HTTP status and the body.
    static func curl(_ url: String) throws -> (status: Int, body: [UInt8]) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("s3tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-g", "-o", output.path, "-w", "%{http_code}", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let status = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let body = (try? Data(contentsOf: output)).map { [UInt8]($0) } ?? []
        return (Int(String(decoding: status, as: UTF8.self)) ?? 0, body)
    }
}
