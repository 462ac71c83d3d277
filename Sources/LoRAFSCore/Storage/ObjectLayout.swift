import Foundation
import LoRAFormats

/// Every key a workspace writes in its bucket, in one place:
///
/// ```
/// workspaces/WS/loras/ID.safetensors|ckpt   the LoRA's bytes (the name never reaches a key)
/// workspaces/WS/manifests/ID.json           its manifest (name, size, SHA-256; rewritten by mv)
/// workspaces/WS/jobs/JOB/output.mp4         a finished job's video
/// ```
///
/// IDs are random UUIDs: keys are never reused, so `mv` needs no S3 copy, and an
/// object's presence after an ambiguous complete proves that upload completed.
public struct ObjectLayout: Sendable, Equatable {
    public let workspace: String

    public init(workspace: String) { self.workspace = workspace }

    /// Everything of the workspace lives under this prefix.
    public var prefix: String { "workspaces/\(workspace)/" }
    public var lorasPrefix: String { prefix + "loras/" }
    public var manifestsPrefix: String { prefix + "manifests/" }

    /// A fresh key for a new upload; the extension stays at the end for services that look at the URL path.
    func newLoRAKey(kind: LoRAFileKind) -> String {
        lorasPrefix + UUID().uuidString.lowercased() + "." + kind.rawValue
    }

    func isLoRAKey(_ key: String) -> Bool { key.hasPrefix(lorasPrefix) }

    /// The manifest of the LoRA stored at `objectKey`: same ID.
    func manifestKey(forObject objectKey: String) -> String {
        let file = objectKey.split(separator: "/").last.map(String.init) ?? objectKey
        let id = file.split(separator: ".").first.map(String.init) ?? file
        return manifestsPrefix + id + ".json"
    }

    func jobOutputKey(job: String) -> String { prefix + "jobs/" + job + "/output.mp4" }

    /// Names that become one segment of a key (workspaces, jobs): a conservative
    /// alphabet, no leading `.` or `-`, so no name can climb out of its prefix.
    public static func isKeySegment(_ name: String, maxLength: Int) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength && name.first != "." && name.first != "-"
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
                default: false
                }
            }
    }

    /// The rule of `isKeySegment`, for messages.
    public static func keySegmentRule(maxLength: Int) -> String {
        "1-\(maxLength) characters of A-Z a-z 0-9 . _ - and not start with . or -"
    }
}
