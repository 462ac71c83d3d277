import Catalog
import Foundation
import LoRAFormats
import Synchronization

/// The LoRA library: the `.safetensors` and `.ckpt` files at the root of the mount.
///
/// Stored LoRAs come from the catalog mirror; files being written (new LoRAs,
/// overwrites, staging files of rsync and atomic savers) are `PendingFile`s,
/// each spooled locally and streamed to S3, and committed by their writer's
/// `close()` or by the rename of a staging file.
final class LoRALibrary: Subtree {
    let folder: String? = nil
    let services: WorkspaceServices
    /// Files being written, by name. Lock order: a pending file's lock, then this one.
    let pending = Mutex<[String: PendingFile]>([:])

    init(services: WorkspaceServices) throws {
        self.services = services
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        startSweeper()
    }

    var spoolDirectory: String { services.options.stateDirectory + "/spool" }

    /// The library serves single names only (`/NAME`): the workspace is flat.
    func name(_ path: [String]) throws(FSError) -> String {
        guard path.count == 1 else { throw FSError.notFound(display(path)) }
        return path[0]
    }

    static func inPlaceRefusal(_ name: String) -> FSError.Failure {
        .notPermitted(name, why: "a stored LoRA cannot be modified in place; copy a new version over it")
    }

    static func attributes(of record: LoRARecord) -> FileAttributes {
        FileAttributes(kind: .file, size: UInt64(record.size), modified: record.uploadedAt, mode: 0o644)
    }

    /// The pending file `name` as `caller` may see it: before its commit a file is
    /// visible only to its writer. The writer is compared outside the lock, because
    /// finding a caller's process reads `/proc`.
    func visiblePending(_ name: String, to caller: ProcessIdentity?) -> PendingFile? {
        guard let (file, writer) = pending.withLock({ map in map[name].map { ($0, $0.writer) } }) else { return nil }
        guard let caller, let writer else { return file }
        return caller.processID == writer ? file : nil
    }

    // MARK: - Subtree

    func attributes(of path: [String], handle: (any OpenFile)?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes {
        let name = try name(path)
        if let handle = handle as? PendingFileHandle, handle.isWriter { return handle.file.attributes }
        if let handle = handle as? StoredObjectFile, let attributes = handle.attributes { return attributes }
        if let record = services.mirror[name] { return Self.attributes(of: record) }
        guard let file = visiblePending(name, to: caller) else { throw FSError.notFound(name) }
        return file.attributes
    }

    func list(_ path: [String]) throws(FSError) -> [DirectoryEntry] {
        guard path.isEmpty else { throw FSError(.notDirectory(display(path))) }
        return services.mirror.unordered.map { DirectoryEntry(name: $0.name, attributes: Self.attributes(of: $0)) }
    }

    /// Classifies a name a user tries to create: a LoRA, a staging name, or EPERM.
    func role(for name: String) throws(FSError) -> PendingFile.Role {
        switch LoRANameRules.classify(name) {
        case .lora(let kind): return .lora(kind)
        case .staging: return .staging
        case .refused(let reason): throw services.report(.notPermitted(name, reason))
        }
    }

    /// `create`: a new file (or a fresh version of a stored one) in the spool.
    func create(_ path: [String], caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        let name = try name(path)
        let role = try role(for: name)
        let spool: SpoolFile
        do { spool = try SpoolFile(directory: spoolDirectory) } catch { throw services.report(.failed(name, .spool, error)) }
        let fresh = PendingFile(name: name, role: role, spool: spool, services: services)
        let writer = caller?.processID
        // One writer per name: a second writer never shares the first one's spool.
        let claimed: PendingFile? = pending.withLock { map in
            if let current = map[name], current.openHandles > 0, current.writer != writer { return nil }
            let file = map[name] ?? fresh
            map[name] = file
            file.writer = writer
            file.openHandles += 1
            return file
        }
        guard let file = claimed else { throw services.report(.busy(name)) }
        if file !== fresh {
            file.lock.lock()
            file.truncateLocked(to: 0)
            file.lock.unlock()
        }
        return PendingFileHandle(file, library: self, isWriter: true)
    }

    /// `open`: stored LoRAs read from S3; writing one replaces it (O_TRUNC) with a
    /// new version that is committed at close.
    func open(_ path: [String], mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        let name = try name(path)
        if mode.write {
            if pending.withLock({ $0[name] }) == nil, !mode.truncate {
                let refusal = Self.inPlaceRefusal(name)
                // `touch` opens for writing and writes nothing: let it; a write is refused.
                guard let record = services.mirror[name] else { throw services.report(FSError(refusal)) }
                return StoredObjectFile(key: record.objectKey, size: UInt64(record.size), subject: name, services: services,
                                        writeRefusal: refusal, attributes: Self.attributes(of: record))
            }
            return try create(path, caller: caller)
        }
        if let record = services.mirror[name] {
            return StoredObjectFile(key: record.objectKey, size: UInt64(record.size), subject: name, services: services,
                                    attributes: Self.attributes(of: record))
        }
        guard let file = visiblePending(name, to: caller) else { throw FSError.notFound(name) }
        let opened = pending.withLock { map -> Bool in
            guard map[name] === file else { return false }
            file.openHandles += 1
            return true
        }
        guard opened else { throw FSError.notFound(name) }
        return PendingFileHandle(file, library: self, isWriter: false)
    }

    /// `truncate` / `ftruncate`: sizes past the limit fail at once with EFBIG.
    func truncate(_ path: [String], size: UInt64, handle: (any OpenFile)?) throws(FSError) {
        let name = try name(path)
        let limit = services.options.maxFileSize
        if size > limit { throw services.report(.tooLarge(name, limit: limit)) }
        let writer = (handle as? PendingFileHandle).flatMap { $0.isWriter ? $0.file : nil }
        guard let file = writer ?? pending.withLock({ $0[name] }) else {
            if services.mirror.contains(name) {
                throw services.report(Self.inPlaceRefusal(name))
            }
            throw FSError.notFound(name)
        }
        file.truncate(to: size)
    }

    // MARK: - Extended attributes

    /// On each LoRA what the catalog knows (`getfattr -d -m user.lorafs FILE`):
    /// sha256, object_key, and from its safetensors header rank, hidden_size,
    /// base_model, trigger_phrase, timestep_range.
    func extendedAttribute(_ name: String, of path: [String]) -> String? {
        guard path.count == 1, let record = services.mirror[path[0]] else { return nil }
        return Self.extendedAttributes(record).first { "user.lorafs." + $0.0 == name }?.1
    }

    func extendedAttributeNames(of path: [String]) -> [String] {
        guard path.count == 1, let record = services.mirror[path[0]] else { return [] }
        return Self.extendedAttributes(record).map { "user.lorafs." + $0.0 }
    }

    /// A LoRA's extended attributes, the ones it has a value for.
    static func extendedAttributes(_ record: LoRARecord) -> [(String, String)] {
        let optional: [(String, String?)] = [
            ("rank", record.rank.map(String.init)),
            ("hidden_size", record.hiddenSize.map(String.init)),
            ("base_model", record.baseModel),
            ("trigger_phrase", record.triggerPhrase),
            ("timestep_range", record.timestepRange),
        ]
        return [("sha256", record.sha256), ("object_key", record.objectKey)] + optional.compactMap { key, value in value.map { (key, $0) } }
    }
}
