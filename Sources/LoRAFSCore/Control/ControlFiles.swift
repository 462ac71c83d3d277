import Foundation

/// `.lorafs/`: files that tell what the mount is doing, computed when read.
/// `errors` holds the recent refusals and failures (one line each, with the
/// errno name), `status` what this mount is and what it is uploading.
final class ControlFiles: Subtree {
    let folder: String? = ".lorafs"
    static let files = ["errors", "status"]
    let services: WorkspaceServices
    private let library: LoRALibrary

    init(services: WorkspaceServices, library: LoRALibrary) {
        self.services = services
        self.library = library
    }

    private func file(_ path: [String]) throws(FSError) -> String {
        guard path.count == 1, Self.files.contains(path[0]) else { throw FSError.notFound(display(path)) }
        return path[0]
    }

    func content(_ file: String) -> [UInt8] {
        file == "errors" ? Array(services.journal.text.utf8) : Array(statusText.utf8)
    }

    func attributes(of path: [String], handle: (any OpenFile)?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes {
        if path.isEmpty { return .directory(modified: services.rootModified) }
        return .virtualFile(size: content(try file(path)).count)
    }

    func list(_ path: [String]) throws(FSError) -> [DirectoryEntry] {
        guard path.isEmpty else { throw FSError(.notDirectory(display(path))) }
        return Self.files.map { DirectoryEntry(name: $0, attributes: .virtualFile(size: content($0).count)) }
    }

    func open(_ path: [String], mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        if path.isEmpty { throw FSError(.isDirectory(display(path))) }
        let file = try file(path)
        if mode.write { throw FSError(.readOnly(display(path))) }
        return VirtualFile(content(file))
    }

    /// `.lorafs/status`: what this mount is and what it is doing.
    var statusText: String {
        let options = services.options
        let totals = services.mirror.totals
        let writing = library.uploadsInProgress
        var lines = [
            "workspace: \(options.workspace)",
            "bucket: \(options.bucket)",
            "endpoint: \(options.endpointDescription)",
            "prefix: \(services.layout.prefix)",
            "mounted_at: \(services.mountedAt.formatted(.iso8601))",
            "loras: \(totals.count)",
            "bytes: \(totals.bytes)",
            "max_file_size: \(options.maxFileSize)",
            "uploads_in_progress: \(writing.count)",
        ]
        for upload in writing {
            let uploaded = upload.uploaded.map { ", \($0) uploaded" } ?? ""
            lines.append("  \(upload.name): \(upload.written) bytes written\(uploaded)")
        }
        if let last = services.journal.last { lines.append("last_error: \(last)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
