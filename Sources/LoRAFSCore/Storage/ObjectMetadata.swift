import Foundation
import LoRAFormats

/// The user metadata on each LoRA object (`x-amz-meta-lorafs-*`): enough to
/// recover a single-PUT object whose manifest a crash prevented.
enum ObjectMetadata {
    static let name = "lorafs-name"
    static let sha256 = "lorafs-sha256"
    static let size = "lorafs-size"
    static let uploadedAt = "lorafs-uploaded-at"

    /// Metadata known when an upload starts (S3 metadata is ASCII: the name is percent-encoded).
    static func initial(workspace: String, name: String, kind: LoRAFileKind) -> [String: String] {
        [
            "lorafs-workspace": workspace,
            Self.name: percentEncoded(name),
            "lorafs-kind": kind.rawValue,
            uploadedAt: Date().formatted(.iso8601),
        ]
    }

    static func percentEncoded(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }
}
