import HTTPTransport
import Testing

@Suite("redaction")
struct RedactionTests {
    @Test func thePresignedQueryIsCutAndTheRestKept() {
        let url = "https://h/b/workspaces/w/loras/1.safetensors?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261202&X-Amz-Signature=abc123"
        let text = "download failed: 403 for \(url) after 3 tries"
        let redacted = Redaction.presignedURLs(in: text)
        #expect(redacted == "download failed: 403 for https://h/b/workspaces/w/loras/1.safetensors?…(signature redacted) after 3 tries")
        #expect(!redacted.contains("abc123") && !redacted.contains("AKIA"))
    }

    @Test func textWithoutSignedURLsIsUnchanged() {
        #expect(Redaction.presignedURLs(in: "plain https://example.com/a?b=c text") == "plain https://example.com/a?b=c text")
    }
}
