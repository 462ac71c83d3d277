import Catalog
import Foundation
import GenerationBackends
import Logging

/// The workspace as a filesystem, in paths: what every FUSE operation does, with
/// no FUSE in sight. The adapter turns kernel requests into these calls and
/// `FSError`s into errnos.
///
/// It is a router: each path belongs to one `Subtree` (the root's files to the
/// LoRA library, `.lorafs/` to the control files, `generate/` to the spec inbox,
/// `jobs/` to the jobs), and each open file lives in one handle table.
public final class WorkspaceFilesystem: Sendable {
    let services: WorkspaceServices
    let handles = HandleTable()
    let library: LoRALibrary
    /// The subtrees with a folder at the root, in the order the root lists them.
    let folders: [any Subtree]

    /// - Parameter backend: where generation jobs go; nil refuses specs with EOPNOTSUPP.
    public init(options: WorkspaceOptions, store: any ObjectStore, catalog: any LoRACatalog, logger: Logger,
                backend: (any GenerationBackend)? = nil) throws {
        services = try WorkspaceServices(options: options, store: store, catalog: catalog, logger: logger)
        library = try LoRALibrary(services: services)
        let jobs = try JobBoard(backend: backend, services: services)
        folders = [
            ControlFiles(services: services, library: library),
            SpecInbox(services: services, jobs: jobs),
            JobsFolder(services: services, jobs: jobs),
        ]
        // What other mounts changed meanwhile (or, for a new state directory, the
        // whole catalog) comes from the bucket before the first request.
        try services.sync.bootstrap { [services] in
            _ = try CatalogCheck(store: services.store, workspace: options.workspace).run(catalog: services.catalog, rebuild: true)
        }
        services.sync.start()
    }

    /// Applies what other mounts changed since the last refresh (`lorafs refresh`, `touch .lorafs/refresh`).
    @discardableResult
    public func refresh() -> (applied: Int, milliseconds: Int, error: String?) {
        let report = services.sync.refresh()
        return (report.applied, report.milliseconds, report.error)
    }

    /// Where a path goes: its subtree and the components below the subtree's
    /// folder; nil for the root itself.
    func route(_ path: String) -> (subtree: any Subtree, path: [String])? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { Self.normalized(String($0)) }
        guard let first = parts.first else { return nil }
        if let folder = folders.first(where: { $0.folder == first }) { return (folder, Array(parts.dropFirst())) }
        return (library, parts)
    }

    /// Names are compared, stored and listed in Unicode NFC: `café` typed on Linux
    /// and `café` copied from macOS (NFD) are one name. ASCII is its own NFC.
    static func normalized(_ component: String) -> String {
        component.utf8.allSatisfy { $0 < 0x80 } ? component : component.precomposedStringWithCanonicalMapping
    }

    /// Aborts multipart uploads an earlier crashed run left under this workspace's prefix.
    public func abortStaleUploads() throws -> Int {
        let stale = try services.store.listMultipartUploads(prefix: services.layout.prefix)
        for upload in stale {
            try services.store.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            services.logger.notice("aborted a multipart upload left by an earlier run", metadata: ["key": "\(upload.key)"])
        }
        return stale.count
    }

    // MARK: - Paths

    /// - Parameter caller: who asks; a file being written is visible only to its writer.
    public func attributes(path: String, handle: UInt64? = nil, caller: ProcessIdentity? = nil) throws(FSError) -> FileAttributes {
        guard let (subtree, rest) = route(path) else { return .directory(modified: services.rootModified) }
        return try subtree.attributes(of: rest, handle: handles.lookup(handle), caller: caller)
    }

    public func list(path: String) throws(FSError) -> [DirectoryEntry] {
        guard let (subtree, rest) = route(path) else {
            let folder = FileAttributes.directory(modified: services.rootModified)
            return folders.compactMap { $0.folder.map { DirectoryEntry(name: $0, attributes: folder) } } + (try library.list([]))
        }
        return try subtree.list(rest)
    }

    public func create(path: String, caller: ProcessIdentity? = nil) throws(FSError) -> UInt64 {
        guard let (subtree, rest) = route(path) else { throw services.report(.notPermitted(path, "cannot create files here")) }
        return handles.insert(try subtree.create(rest, caller: caller))
    }

    public func open(path: String, mode: OpenMode, caller: ProcessIdentity? = nil) throws(FSError) -> UInt64 {
        guard let (subtree, rest) = route(path) else { throw FSError(.isDirectory(path)) }
        return handles.insert(try subtree.open(rest, mode: mode, caller: caller))
    }

    /// `truncate` / `ftruncate`.
    public func truncate(path: String, size: UInt64, handle: UInt64?) throws(FSError) {
        guard let (subtree, rest) = route(path) else { throw FSError(.readOnly(path)) }
        try subtree.truncate(rest, size: size, handle: handles.lookup(handle))
    }

    public func unlink(path: String) throws(FSError) {
        guard let (subtree, rest) = route(path) else { throw FSError(.cannotRemove(path)) }
        try subtree.unlink(rest)
    }

    /// Within one subtree only: a LoRA renamed, a staging file committed, an editor's spec saved.
    public func rename(from source: String, to target: String, noReplace: Bool) throws(FSError) {
        guard let (subtree, from) = route(source), let (other, to) = route(target), subtree === other else {
            throw services.report(FSError(.renameOutsideRoot(from: source, to: target)))
        }
        try subtree.rename(from: from, to: to, noReplace: noReplace)
    }

    /// `mkdir`: the workspace is flat.
    public func makeDirectory(path: String) throws(FSError) {
        throw services.report(.notPermitted(path, "the workspace is flat; directories cannot be created"))
    }

    public func removeDirectory(path: String) throws(FSError) {
        guard let (subtree, rest) = route(path) else { throw FSError(.notPermitted(path, why: "cannot be removed")) }
        try subtree.removeDirectory(rest)
    }

    // MARK: - Extended attributes

    /// `user.lorafs.last_error` on the root; each subtree's own on its files.
    public func extendedAttribute(path: String, name: String) -> String? {
        guard name.hasPrefix("user.lorafs.") else { return nil }
        guard let (subtree, rest) = route(path) else { return name == "user.lorafs.last_error" ? lastError : nil }
        return subtree.extendedAttribute(name, of: rest)
    }

    public func extendedAttributeNames(path: String) -> [String] {
        guard let (subtree, rest) = route(path) else { return lastError == nil ? [] : ["user.lorafs.last_error"] }
        return subtree.extendedAttributeNames(of: rest)
    }

    // MARK: - The mount as a whole

    /// `statfs`: ample space and inodes, so file managers agree to copy.
    public var capacity: (blockSize: UInt64, blocks: UInt64, freeBlocks: UInt64, files: UInt64, freeFiles: UInt64) {
        let blockSize: UInt64 = 1 << 20
        let blocks: UInt64 = 1 << 30  // 1 PiB in 1 MiB blocks
        let totals = services.mirror.totals
        return (blockSize, blocks, blocks - totals.bytes / blockSize, 1 << 32, (1 << 32) - UInt64(totals.count))
    }

    /// Logs a refusal made at the edge (a name the kernel sent that is not UTF-8)
    /// and keeps it for `.lorafs/errors`.
    public func report(_ error: FSError) -> FSError { services.report(error) }

    /// The last error, for the `user.lorafs.last_error` xattr.
    public var lastError: String? { services.journal.last }

    /// At unmount: nothing half-written survives.
    public func shutdown() {
        library.shutdown()
        for folder in folders { folder.shutdown() }
        services.sync.stop()
        services.background.finish(timeout: services.options.s3Timeout)
    }

    func sweepStaging(olderThan grace: TimeInterval) { library.sweepStaging(olderThan: grace) }
}
