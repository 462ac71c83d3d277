import Foundation

/// `.lorafs/`: files that tell what the mount is doing, computed when read.
/// `errors` holds the recent refusals and failures (one line each, with the
/// errno name), `status` what this mount is and what it is uploading. Opening
/// `refresh` for writing (`touch .lorafs/refresh`) refreshes the mount from the
/// bucket before the open returns; reading it tells the last refresh.
final class ControlFiles: Subtree {
    let folder: String? = ".lorafs"
    static let files = ["errors", "refresh", "status"]
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
        switch file {
        case "errors": Array(services.journal.text.utf8)
        case "refresh": Array((services.sync.statusLines.filter { $0.hasPrefix("last_refresh") }.joined(separator: "\n") + "\n").utf8)
        default: Array(statusText.utf8)
        }
    }

    func attributes(of path: [String], handle: (any OpenFile)?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes {
        if path.isEmpty { return .directory(modified: services.rootModified) }
        let file = try file(path)
        return Self.attributes(file, size: content(file).count)
    }

    /// `refresh` is writable by its owner (`touch`), the rest read-only.
    static func attributes(_ file: String, size: Int) -> FileAttributes {
        var attributes = FileAttributes.virtualFile(size: size)
        if file == "refresh" { attributes.mode = 0o644 }
        return attributes
    }

    func list(_ path: [String]) throws(FSError) -> [DirectoryEntry] {
        guard path.isEmpty else { throw FSError(.notDirectory(display(path))) }
        return Self.files.map { DirectoryEntry(name: $0, attributes: Self.attributes($0, size: content($0).count)) }
    }

    func open(_ path: [String], mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        if path.isEmpty { throw FSError(.isDirectory(display(path))) }
        let file = try file(path)
        if mode.write {
            guard file == "refresh" else { throw FSError(.readOnly(display(path))) }
            services.sync.refresh()
            return RefreshTrigger()
        }
        return VirtualFile(content(file))
    }

    /// `echo > .lorafs/refresh` truncates it first: nothing to truncate.
    func truncate(_ path: [String], size: UInt64, handle: (any OpenFile)?) throws(FSError) {
        guard try file(path) == "refresh" else { throw FSError(.readOnly(display(path))) }
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
        lines += services.sync.statusLines
        if let last = services.journal.last { lines.append("last_error: \(last)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The handle of `.lorafs/refresh` opened for writing: the refresh already ran at
/// the open; whatever is written is taken and ignored.
final class RefreshTrigger: OpenFile {
    var isVirtual: Bool { true }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int { 0 }
    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int { bytes.count }
}
