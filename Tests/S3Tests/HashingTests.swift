import Hashing
import Testing

@Suite("Hashing known answers")
struct HashingTests {
    @Test("SHA-256 of \"abc\" matches NIST FIPS 180-2")
    func sha256ABC() {
        #expect(Digest.sha256(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256([UInt8]()).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("incremental hashing in uneven chunks equals one-shot, and finalize starts over")
    func incremental() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256Hasher()
        var offset = 0
        for size in [1, 63, 64, 65, 4096, 99_000] where offset < data.count {
            let end = min(data.count, offset + size)
            data[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        hasher.update(Array(data[offset...]))
        #expect(hasher.finalize() == Digest.sha256(data))
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize().hexString.hasPrefix("ba7816bf"))
    }

    @Test("HMAC-SHA256 matches RFC 4231 test case 2")
    func hmacRFC4231() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(mac.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("base64 and hex encodings")
    func encodings() {
        #expect(Array("f".utf8).base64String == "Zg==")
        #expect(Array("fo".utf8).base64String == "Zm8=")
        #expect(Array("foo".utf8).base64String == "Zm9v")
        #expect([0x00, 0xab, 0xff].hexString == "00abff")
        #expect([UInt8](hexString: "00ABff") == [0x00, 0xab, 0xff])
        #expect([UInt8](hexString: "abc") == nil)
    }
}
