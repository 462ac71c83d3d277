import Catalog
import Foundation
import GenerationBackends
import Logging
import LoRAFormats
import Synchronization

/// The attributes the mount shows for one entry.
public struct FileAttributes: Sendable, Equatable {
    public enum Kind: Sendable { case file, directory }
    public var kind: Kind
    public var size: UInt64
    /// Seconds since 1970.
    public var modified: Double
    public var mode: UInt32
    /// Whether reads must bypass the page cache (control files whose size changes).
    public var isVirtual = false
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable {
    public var name: String
    public var attributes: FileAttributes
}

/// The workspace as a filesystem, in paths: what every FUSE operation does,
/// with no FUSE in sight. The adapter turns kernel requests into these calls
/// and `FSError`s into errnos.
///
/// Layout: `/NAME.safetensors` and `/NAME.ckpt` (the catalog), `/.lorafs/errors`,
/// `/.lorafs/status`.
public final class WorkspaceFilesystem: Sendable {
    let options: WorkspaceOptions
    let store: any ObjectStore
    let catalog: any LoRACatalog
    let logger: Logger
    let journal = ErrorJournal()
    let uploads: WorkerPool
    let partBuffers: PartBufferPool
    let downloads: WorkerPool
    let state: Mutex<Namespace>
    let mountedAt = Date()

    /// Everything the namespace lock guards.
    struct Namespace {
        /// The catalog, mirrored in memory so `ls -l` never waits on SQLite.
        var loras: [String: LoRARecord] = [:]
        /// Files being written (new files, overwrites, staging files), by name.
        var pending: [String: PendingFile] = [:]
        var handles: [UInt64: OpenHandle] = [:]
        var nextHandle: UInt64 = 1
        /// Specs being written into `generate/`, by file name.
        var drafts: [String: SpecDraft] = [:]
    }

    enum OpenHandle {
        case writer(PendingFile)
        case pendingReader(PendingFile)
        case object(ObjectReader)
        case virtual([UInt8])
        case specDraft(SpecDraft)
    }

    let jobs: JobBoard

    /// - Parameter backend: where generation jobs go; nil refuses specs with EOPNOTSUPP.
    public init(options: WorkspaceOptions, store: any ObjectStore, catalog: any LoRACatalog, logger: Logger,
                backend: (any GenerationBackend)? = nil) throws {
        self.options = options
        self.store = store
        self.catalog = catalog
        self.logger = logger
        uploads = WorkerPool(name: "lorafs-upload", threads: 8)
        partBuffers = PartBufferPool(capacity: Int(options.partSize), maximumIdle: options.maxPartsInFlight + 2)
        downloads = WorkerPool(name: "lorafs-download", threads: 4)
        var namespace = Namespace()
        for record in try catalog.allLoRAs() { namespace.loras[record.name] = record }
        state = Mutex(namespace)
        jobs = try JobBoard(backend: backend, store: store, catalog: catalog, options: options, logger: logger, transfers: downloads)
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        startSweeper()
    }

    deinit {
        uploads.stop()
        downloads.stop()
    }

    var spoolDirectory: String { options.stateDirectory + "/spool" }

    /// Aborts multipart uploads an earlier crashed run left under this workspace's prefix.
    public func abortStaleUploads() throws -> Int {
        let stale = try store.listMultipartUploads(prefix: options.keyPrefix)
        for upload in stale {
            try store.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            logger.notice("aborted a multipart upload left by an earlier run", metadata: ["key": "\(upload.key)"])
        }
        return stale.count
    }

    // MARK: - Paths

    enum Node: Equatable {
        case root
        case controlDirectory
        case control(String)
        case entry(String)
        case generateDirectory
        /// `generate/schema.json`, or a spec being written (`generate/NAME.json`, or a temp name).
        case generateFile(String)
        case jobsDirectory
        case jobDirectory(String)
        /// `jobs/NAME/spec.json`, `status.json`, `output.mp4`.
        case jobFile(job: String, file: String)

        /// Nodes of the generation side (`generate/`, `jobs/`).
        var isGeneration: Bool {
            switch self {
            case .generateDirectory, .generateFile, .jobsDirectory, .jobDirectory, .jobFile: true
            default: false
            }
        }
    }

    static let controlDirectoryName = ".lorafs"
    static let controlFiles = ["errors", "status"]

    func node(_ path: String) throws(FSError) -> Node {
        if path == "/" { return .root }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (parts.count, parts.first) {
        case (1, Self.controlDirectoryName): return .controlDirectory
        case (1, Self.generateDirectoryName): return .generateDirectory
        case (1, Self.jobsDirectoryName): return .jobsDirectory
        case (1, _): return .entry(parts[0])
        case (2, Self.controlDirectoryName) where Self.controlFiles.contains(parts[1]): return .control(parts[1])
        case (2, Self.generateDirectoryName): return .generateFile(parts[1])
        case (2, Self.jobsDirectoryName): return .jobDirectory(parts[1])
        case (3, Self.jobsDirectoryName) where Self.jobFiles.contains(parts[2]): return .jobFile(job: parts[1], file: parts[2])
        default: throw FSError.notFound(path)
        }
    }

    // MARK: - Attributes and listings

    static func directory(_ time: Double) -> FileAttributes {
        FileAttributes(kind: .directory, size: 4096, modified: time, mode: 0o755)
    }

    static func attributes(of record: LoRARecord) -> FileAttributes {
        FileAttributes(kind: .file, size: UInt64(record.size), modified: record.uploadedAt, mode: 0o644)
    }

    /// - Parameter caller: who asks; a file being written is visible only to its writer.
    public func attributes(path: String, handle: UInt64? = nil, caller: ProcessIdentity? = nil) throws(FSError) -> FileAttributes {
        let node = try node(path)
        if node.isGeneration { return try generationAttributes(node, handle: handle, caller: caller) }
        switch node {
        case .root, .controlDirectory:
            return Self.directory(mountedAt.timeIntervalSince1970)
        case .control(let name):
            return FileAttributes(kind: .file, size: UInt64(controlContent(name).count),
                                  modified: Date().timeIntervalSince1970, mode: 0o444, isVirtual: true)
        case .entry(let name):
            let found: FileAttributes? = state.withLock { ns in
                if let handle, case .writer(let pending)? = ns.handles[handle] { return pending.attributes }
                if let record = ns.loras[name] { return Self.attributes(of: record) }
                guard let pending = ns.pending[name], pending.isVisible(to: caller) else { return nil }
                return pending.attributes
            }
            guard let found else { throw FSError.notFound(name) }
            return found
        default:
            throw FSError.notFound(path)
        }
    }

    public func list(path: String) throws(FSError) -> [DirectoryEntry] {
        let node = try node(path)
        if node.isGeneration { return try generationListing(node) }
        switch node {
        case .root:
            let records = state.withLock { Array($0.loras.values) }
            let directory = Self.directory(mountedAt.timeIntervalSince1970)
            var entries = [Self.controlDirectoryName, Self.generateDirectoryName, Self.jobsDirectoryName].map {
                DirectoryEntry(name: $0, attributes: directory)
            }
            entries.reserveCapacity(records.count + 3)
            for record in records.sorted(by: { $0.name < $1.name }) {
                entries.append(DirectoryEntry(name: record.name, attributes: Self.attributes(of: record)))
            }
            return entries
        case .controlDirectory:
            return try Self.controlFiles.map { name throws(FSError) in
                DirectoryEntry(name: name, attributes: try attributes(path: "/.lorafs/\(name)"))
            }
        default:
            throw FSError(ENOTDIR, "\(path) is not a directory")
        }
    }

    /// `statfs`: ample space and inodes, so file managers agree to copy.
    public var capacity: (blockSize: UInt64, blocks: UInt64, freeBlocks: UInt64, files: UInt64, freeFiles: UInt64) {
        let blockSize: UInt64 = 1 << 20
        let blocks: UInt64 = 1 << 30  // 1 PiB in 1 MiB blocks
        let used = state.withLock { ns in ns.loras.values.reduce(UInt64(0)) { $0 + UInt64($1.size) } } / blockSize
        let files = state.withLock { UInt64($0.loras.count) }
        return (blockSize, blocks, blocks - used, 1 << 32, (1 << 32) - files)
    }

    // MARK: - Errors

    /// Logs a failure, keeps it for `.lorafs/errors`, and hands it back for throwing.
    func report(_ error: FSError) -> FSError {
        journal.record(error)
        logger.error("\(error.reason)", metadata: ["errno": "\(FSError.errnoName(error.errno))"])
        return error
    }

    /// The last error, for the `user.lorafs.last_error` xattr.
    public var lastError: String? { journal.last }
}
