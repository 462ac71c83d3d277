import Foundation

extension WorkspaceFilesystem {
    /// The text of `.lorafs/NAME`, computed when read.
    func controlContent(_ name: String) -> [UInt8] {
        switch name {
        case "errors": return Array(journal.text.utf8)
        case "status": return Array(statusText.utf8)
        default: return []
        }
    }

    /// `.lorafs/status`: what this mount is and what it is doing.
    var statusText: String {
        let (count, bytes, writing) = state.withLock { ns in
            (ns.loras.count, ns.loras.values.reduce(Int64(0)) { $0 + $1.size }, ns.pending.sorted { $0.key < $1.key })
        }
        var lines = [
            "workspace: \(options.workspace)",
            "bucket: \(options.bucket)",
            "endpoint: \(options.endpointDescription)",
            "prefix: \(options.keyPrefix)",
            "mounted_at: \(mountedAt.formatted(.iso8601))",
            "loras: \(count)",
            "bytes: \(bytes)",
            "max_file_size: \(options.maxFileSize)",
            "uploads_in_progress: \(writing.count)",
        ]
        for (name, pending) in writing {
            let size = pending.attributes.size
            let uploaded = pending.uploadedBytes.map { ", \($0) uploaded" } ?? ""
            lines.append("  \(name): \(size) bytes written\(uploaded)")
        }
        if let last = journal.last { lines.append("last_error: \(last)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
