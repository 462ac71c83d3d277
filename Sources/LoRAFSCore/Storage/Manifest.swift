import Catalog
import Foundation
import LoRAFormats

/// The small JSON document stored beside each LoRA (`manifests/ID.json`), so the
/// catalog can be rebuilt from the bucket alone: it carries the name (which no key
/// holds), the SHA-256 of multipart objects, and follows renames.
struct Manifest: StoredJSON, Equatable {
    var version = 1
    var workspace: String
    var name: String
    var objectKey: String
    var size: Int64
    var sha256: String
    var kind: String
    /// ISO 8601, UTC.
    var uploadedAt: String

    enum CodingKeys: String, CodingKey {
        case version, workspace, name, size, sha256, kind
        case objectKey = "object_key"
        case uploadedAt = "uploaded_at"
    }

    init(_ record: LoRARecord, workspace: String) {
        self.workspace = workspace
        name = record.name
        objectKey = record.objectKey
        size = record.size
        sha256 = record.sha256
        kind = record.kind
        uploadedAt = Date(timeIntervalSince1970: record.uploadedAt).formatted(.iso8601)
    }

    /// The catalog row it describes, if it names a LoRA of `layout`'s workspace.
    func record(in layout: ObjectLayout) -> LoRARecord? {
        guard layout.isLoRAKey(objectKey), case .lora = LoRANameRules.classify(name) else { return nil }
        let uploaded = (try? Date(uploadedAt, strategy: .iso8601))?.timeIntervalSince1970 ?? 0
        return LoRARecord(name: name, objectKey: objectKey, size: size, sha256: sha256, uploadedAt: uploaded, kind: kind)
    }
}

extension ObjectStore {
    /// Writes (or rewrites, after `mv`) the manifest of `record`.
    func putManifest(of record: LoRARecord, layout: ObjectLayout) throws {
        try putObject(key: layout.manifestKey(forObject: record.objectKey),
                      body: try Manifest(record, workspace: layout.workspace).encoded(),
                      metadata: [ObjectMetadata.uploadedAt: Date().formatted(.iso8601)], contentSHA256: [])
    }
}
