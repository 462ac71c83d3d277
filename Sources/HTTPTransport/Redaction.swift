/// Text that may quote a URL we signed (a backend's error message naming the LoRA
/// it could not download, say) goes through this before it is logged or shown:
/// the query of a presigned URL is a bearer credential until it expires.
public enum Redaction {
    /// `text` with the query string of every URL that carries a SigV4 signature
    /// (`X-Amz-Signature`, `X-Amz-Credential`) replaced by `?…(signature redacted)`.
    public static func presignedURLs(in text: String) -> String {
        guard text.contains("X-Amz-") else { return text }
        var out = ""
        for (index, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { out += " " }
            if let query = word.firstIndex(of: "?"), word[query...].contains("X-Amz-Signature") || word[query...].contains("X-Amz-Credential") {
                out += word[..<query] + "?…(signature redacted)"
            } else {
                out += word
            }
        }
        return out
    }
}
