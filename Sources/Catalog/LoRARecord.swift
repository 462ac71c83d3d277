import Foundation
import GRDB

/// One stored LoRA: the row that makes a file appear in the mount.
///
/// The object key never contains the name (names change with `mv`, keys do not),
/// so a rename is a catalog update and never an S3 copy.
public struct LoRARecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "loras"

    /// The file name in the mount, e.g. `boat-style.safetensors`.
    public var name: String
    /// The S3 key of the object holding the bytes.
    public var objectKey: String
    public var size: Int64
    /// Lowercase hex SHA-256 of the content.
    public var sha256: String
    /// Upload time, seconds since 1970 (the file's mtime in the mount).
    public var uploadedAt: Double
    /// `safetensors` or `ckpt`.
    public var kind: String

    public init(name: String, objectKey: String, size: Int64, sha256: String, uploadedAt: Double, kind: String) {
        self.name = name
        self.objectKey = objectKey
        self.size = size
        self.sha256 = sha256
        self.uploadedAt = uploadedAt
        self.kind = kind
    }

    enum CodingKeys: String, CodingKey {
        case name
        case objectKey = "object_key"
        case size
        case sha256
        case uploadedAt = "uploaded_at"
        case kind
    }
}
