import Foundation
import Hashing
import Testing

@testable import S3

/// The examples of the AWS S3 documentation, "Signature Calculations for the Authorization Header" and
/// "Query String Authentication".
@Suite("SigV4: AWS documentation examples")
struct SigV4AWSExampleTests {
    static let credentials = S3Credentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let host = ("host", "examplebucket.s3.amazonaws.com")

    @Test("GET object with a Range header")
    func getObject() {
        let signed = Self.signer.sign(
            method: "GET", path: "/test.txt", query: [], headers: [Self.host, ("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            signed.headers.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("PUT object with a storage class, $ in the key")
    func putObject() throws {
        let body = Array("Welcome to Amazon S3.".utf8)
        let config = try S3Configuration(
            endpoint: URL(string: "https://s3.amazonaws.com")!, region: "us-east-1", bucket: "examplebucket")
        #expect(config.addressing == .virtualHosted)
        let target = config.target(key: "test$file.text")
        #expect(target.path == "/test%24file.text")
        #expect(target.hostHeader == "examplebucket.s3.amazonaws.com")
        let signed = Self.signer.sign(
            method: "PUT", path: target.path, query: [],
            headers: [
                Self.host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            payloadHash: Digest.sha256(body).hexString, date: Self.date)
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET bucket lifecycle: a parameter without value")
    func getLifecycle() {
        let signed = Self.signer.sign(
            method: "GET", path: "/", query: [("lifecycle", "")], headers: [Self.host],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("GET bucket listing: query parameters are sorted")
    func listObjects() {
        let signed = Self.signer.sign(
            method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [Self.host],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("presigned GET, 86400 seconds")
    func presignedGet() throws {
        let config = try S3Configuration(
            endpoint: URL(string: "https://s3.amazonaws.com")!, region: "us-east-1", bucket: "examplebucket")
        let url = try Self.signer.presignedURL(key: "test.txt", configuration: config, expires: 86400, date: Self.date)
        #expect(
            url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test("presigned URL lifetimes outside 1...604800 s are refused", arguments: [0, -1, 604_801])
    func presignLifetime(seconds: Int) throws {
        let config = try S3Configuration(
            endpoint: URL(string: "https://s3.amazonaws.com")!, region: "us-east-1", bucket: "examplebucket")
        #expect(throws: S3Error.self) {
            try Self.signer.presignedURL(key: "a", configuration: config, expires: seconds, date: Self.date)
        }
    }
}
