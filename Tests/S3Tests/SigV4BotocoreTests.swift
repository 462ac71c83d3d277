import Foundation
import Hashing
import Testing

@testable import S3

/// Reference values produced by botocore 1.43.11 (the AWS SDK for Python's signer) at a fixed time, for a
/// path-style endpoint with keys holding spaces, `+`, `=` and non-ASCII characters. They were made with:
///
/// ```python
/// import datetime, botocore.auth, botocore.session
/// from botocore.config import Config
/// FIXED = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
/// botocore.auth.get_current_datetime = lambda: FIXED
/// def client(token, region='us-east-1'):
///     return botocore.session.get_session().create_client('s3', endpoint_url='http://127.0.0.1:9000',
///         region_name=region, aws_access_key_id='AKIDEXAMPLELORAFS',
///         aws_secret_access_key='lorafs/Secret+Key=Example0123456789abcd', aws_session_token=token,
///         config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4',
///             request_checksum_calculation='when_required', response_checksum_validation='when_required'))
/// # A 'before-send.s3.*' event handler captured request.url and the Authorization header of:
/// c = client('FwoGZXIvYXdzEXAMPLE/session+token==')
/// c.get_object(Bucket='lora-bucket', Key='models/my lora+v2=final ü.safetensors', Range='bytes=0-1023')
/// c.put_object(Bucket='lora-bucket', Key='a b/c+d=e.bin', Body=b'hello lora', Metadata={'sha256': 'abc123'})
/// c.list_objects_v2(Bucket='lora-bucket', Prefix='models/a b+c', MaxKeys=2, ContinuationToken='1/abc=+x')
/// c.create_multipart_upload(Bucket='lora-bucket', Key='big/ünï.safetensors')
/// client(None, 'eu-central-1').upload_part(Bucket='lora-bucket', Key='big/x y.bin', UploadId='up/ID+1=',
///     PartNumber=3, Body=b'part')
/// c.generate_presigned_url('get_object', Params={'Bucket': 'lora-bucket',
///     'Key': 'models/my lora+v2=final ü.safetensors'}, ExpiresIn=3600)
/// client(None, 'eu-central-1').generate_presigned_url('get_object',
///     Params={'Bucket': 'lora-bucket', 'Key': 'x y/z~.bin'}, ExpiresIn=604800)
/// ```
@Suite("SigV4: botocore reference values")
struct SigV4BotocoreTests {
    static let date = Date(timeIntervalSince1970: 1_735_787_045)  // 2025-01-02T03:04:05Z
    static let token = "FwoGZXIvYXdzEXAMPLE/session+token=="
    static func credentials(token: String?) -> S3Credentials {
        S3Credentials(
            accessKeyID: "AKIDEXAMPLELORAFS", secretAccessKey: "lorafs/Secret+Key=Example0123456789abcd",
            sessionToken: token)
    }
    static func config(region: String = "us-east-1") throws -> S3Configuration {
        try S3Configuration(endpoint: URL(string: "http://127.0.0.1:9000")!, region: region, bucket: "lora-bucket")
    }
    static let host = ("host", "127.0.0.1:9000")

    @Test("GET with Range and a session token; key with space, + and =, ü")
    func getObject() throws {
        let target = try Self.config().target(key: "models/my lora+v2=final ü.safetensors")
        #expect(target.url(query: "") == "http://127.0.0.1:9000/lora-bucket/models/my%20lora%2Bv2%3Dfinal%20%C3%BC.safetensors")
        let signed = SigV4Signer(credentials: Self.credentials(token: Self.token), region: "us-east-1").sign(
            method: "GET", path: target.path, query: [], headers: [Self.host, ("Range", "bytes=0-1023")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.signature == "6cd8adf81af108ed02c4f02d0d15b8b2f0714307d6555e05d688548807d7fe2d")
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == Self.token })
        #expect(
            signed.headers.last!.value.contains(
                "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
    }

    @Test("PUT with user metadata")
    func putObject() throws {
        let target = try Self.config().target(key: "a b/c+d=e.bin")
        #expect(target.path == "/lora-bucket/a%20b/c%2Bd%3De.bin")
        let payloadHash = Digest.sha256(Array("hello lora".utf8)).hexString
        #expect(payloadHash == "592f07c4cef059d880d0cf89a68c69789061e064e538a1ed12be9cfbcd8fe396")
        let signed = SigV4Signer(credentials: Self.credentials(token: Self.token), region: "us-east-1").sign(
            method: "PUT", path: target.path, query: [], headers: [Self.host, ("x-amz-meta-sha256", "abc123")],
            payloadHash: payloadHash, date: Self.date)
        #expect(signed.signature == "63dedcb036d711c82b3da799856fc41bd7d77ffe2e2a4b4f055904731a85e047")
    }

    @Test("ListObjectsV2: query values with /, space, +, = are encoded and sorted")
    func listObjects() throws {
        let query: [(name: String, value: String)] = [
            ("list-type", "2"), ("prefix", "models/a b+c"), ("max-keys", "2"), ("continuation-token", "1/abc=+x"),
            ("encoding-type", "url"),
        ]
        #expect(
            QueryParameters(query).canonicalString
                == "continuation-token=1%2Fabc%3D%2Bx&encoding-type=url&list-type=2&max-keys=2&prefix=models%2Fa%20b%2Bc")
        let target = try Self.config().target(key: nil)
        #expect(target.path == "/lora-bucket")
        let signed = SigV4Signer(credentials: Self.credentials(token: Self.token), region: "us-east-1").sign(
            method: "GET", path: target.path, query: query, headers: [Self.host],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.signature == "a84830d11ece14843a54181e708bdfb3b5e2a9a3399130fd6edb37ae76996759")
    }

    @Test("CreateMultipartUpload: ?uploads with a non-ASCII key")
    func createMultipartUpload() throws {
        let target = try Self.config().target(key: "big/ünï.safetensors")
        #expect(target.path == "/lora-bucket/big/%C3%BCn%C3%AF.safetensors")
        let signed = SigV4Signer(credentials: Self.credentials(token: Self.token), region: "us-east-1").sign(
            method: "POST", path: target.path, query: [("uploads", "")], headers: [Self.host],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.date)
        #expect(signed.signature == "5118fdb2bc9290b9b5e09aa3ddab667481387409ac2091bfa667bbe878ce352d")
    }

    @Test("UploadPart in eu-central-1 without a session token")
    func uploadPart() throws {
        let target = try Self.config(region: "eu-central-1").target(key: "big/x y.bin")
        let signed = SigV4Signer(credentials: Self.credentials(token: nil), region: "eu-central-1").sign(
            method: "PUT", path: target.path, query: [("uploadId", "up/ID+1="), ("partNumber", "3")],
            headers: [Self.host], payloadHash: Digest.sha256(Array("part".utf8)).hexString, date: Self.date)
        #expect(signed.signature == "b9822e9a01de8c9cdfd248a5fb81b72a33d37f12524357ca3cc6c92dcea2e938")
        #expect(!signed.headers.contains { $0.name == "x-amz-security-token" })
    }

    @Test("presigned GET with a session token, 3600 s")
    func presignedWithToken() throws {
        let url = try SigV4Signer(credentials: Self.credentials(token: Self.token), region: "us-east-1").presignedURL(
            key: "models/my lora+v2=final ü.safetensors", configuration: Self.config(), expires: 3600, date: Self.date)
        #expect(url.hasPrefix("http://127.0.0.1:9000/lora-bucket/models/my%20lora%2Bv2%3Dfinal%20%C3%BC.safetensors?"))
        #expect(url.contains("X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2Fsession%2Btoken%3D%3D"))
        #expect(url.hasSuffix("&X-Amz-Signature=7b029e4f5e1814c255feb8a490cc83152bc315cd89fd879658ad3976f0e064c9"))
    }

    @Test("presigned GET for 7 days in eu-central-1")
    func presignedSevenDays() throws {
        let url = try SigV4Signer(credentials: Self.credentials(token: nil), region: "eu-central-1").presignedURL(
            key: "x y/z~.bin", configuration: Self.config(region: "eu-central-1"), expires: 604_800, date: Self.date)
        #expect(
            url == "http://127.0.0.1:9000/lora-bucket/x%20y/z~.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIDEXAMPLELORAFS%2F20250102%2Feu-central-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20250102T030405Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=b72849775927ca3559091e6c23468b7f12d54ff6d945ad158e1c00c8c22a7426")
    }
}
