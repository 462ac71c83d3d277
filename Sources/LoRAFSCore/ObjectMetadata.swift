import Catalog
import Foundation
import LoRAFormats

/// What lorafs writes into the bucket besides the bytes, so the catalog can be
/// rebuilt from the bucket alone: user metadata on each object, and a small JSON
/// manifest per LoRA (`PREFIX/manifests/ID.json`) that carries the SHA-256 of
/// multipart objects and follows renames.
enum ObjectMetadata {
    /// Metadata known when an upload starts (S3 metadata is ASCII: the name is percent-encoded).
    static func initial(workspace: String, name: String, kind: LoRAFileKind) -> [String: String] {
        [
            "lorafs-workspace": workspace,
            "lorafs-name": percentEncoded(name),
            "lorafs-kind": kind.rawValue,
            "lorafs-uploaded-at": Date().formatted(.iso8601),
        ]
    }

    static func percentEncoded(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    static func manifestKey(for record: LoRARecord, prefix: String) -> String {
        let file = record.objectKey.split(separator: "/").last.map(String.init) ?? record.objectKey
        let id = file.split(separator: ".").first.map(String.init) ?? file
        return prefix + "manifests/" + id + ".json"
    }

    static func manifest(_ record: LoRARecord, workspace: String) -> [UInt8] {
        let object: [String: Any] = [
            "version": 1,
            "workspace": workspace,
            "name": record.name,
            "object_key": record.objectKey,
            "size": record.size,
            "sha256": record.sha256,
            "kind": record.kind,
            "uploaded_at": Date(timeIntervalSince1970: record.uploadedAt).formatted(.iso8601),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return [UInt8](data)
    }
}
