import HTTPTransport
import Testing

@Suite struct LoopbackTests {
    @Test func localhostLoopbackIPv4AndIPv6Count() {
        for host in ["localhost", "LOCALHOST", "minio.localhost", "127.0.0.1", "127.255.0.9", "::1", "[::1]", "0:0:0:0:0:0:0:1"] {
            #expect(Loopback.contains(host: host), "\(host)")
        }
        for host in ["127.evil.example", "127.0.0.256", "127.0.1", "128.0.0.1", "10.0.0.1", "::2", "localhost.example", ""] {
            #expect(!Loopback.contains(host: host), "\(host)")
        }
    }

    @Test func aDNSNameStartingWith127IsNotLoopback() {
        // 127.x as a DNS label is not loopback; the old inline check in BackendAddress accepted it.
        #expect(!Loopback.contains(host: "127.0.0.1.nip.io"))
    }
}
