import Catalog
import Foundation
import Logging
import LoRAFormats

extension WorkspaceFilesystem {
    /// How a file is opened.
    public struct OpenMode: Sendable {
        public var write: Bool
        public var truncate: Bool
        public init(write: Bool, truncate: Bool) {
            self.write = write
            self.truncate = truncate
        }
    }

    /// `open`: stored LoRAs read from S3; writing one replaces it (O_TRUNC) with a
    /// new version that is committed at close.
    public func open(path: String, mode: OpenMode, caller: ProcessIdentity? = nil) throws(FSError) -> UInt64 {
        let node = try node(path)
        if node.isGeneration { return try openGeneration(node, mode: mode, caller: caller) }
        switch node {
        case .root, .controlDirectory:
            throw FSError(EISDIR, "\(path) is a directory")
        case .control(let name):
            if mode.write { throw FSError(EACCES, "\(path) is read-only") }
            let content = controlContent(name)
            return state.withLock { ns in
                let id = ns.nextHandle
                ns.nextHandle += 1
                ns.handles[id] = .virtual(content)
                return id
            }
        case .entry(let name):
            if mode.write {
                if state.withLock({ $0.pending[name] }) == nil {
                    guard mode.truncate else {
                        throw report(FSError.notPermitted("\(name): a stored LoRA cannot be modified in place; copy a new version over it"))
                    }
                }
                return try create(path: path, caller: caller)
            }
            let handle: UInt64? = state.withLock { ns in
                if let pending = ns.pending[name], ns.loras[name] == nil {
                    // Before its commit, a file is readable only by its writer.
                    guard pending.isVisible(to: caller) else { return nil }
                    return open(pending, as: .pendingReader(pending), in: &ns)
                }
                guard let record = ns.loras[name] else { return nil }
                let reader = ObjectReader(key: record.objectKey, size: UInt64(record.size), store: store, pool: downloads)
                let id = ns.nextHandle
                ns.nextHandle += 1
                ns.handles[id] = .object(reader)
                return id
            }
            guard let handle else { throw FSError.notFound(name) }
            return handle
        default:
            throw FSError.notFound(path)
        }
    }

    /// `read`: from S3 (stored LoRAs), the spool (files being written) or memory (control files).
    public func read(handle: UInt64, offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        switch state.withLock({ $0.handles[handle] }) {
        case .object(let reader)?:
            do { return try reader.read(at: offset, into: buffer) } catch {
                throw report(FSError.io("read from S3 failed: \(error)"))
            }
        case .writer(let pending)?, .pendingReader(let pending)?:
            pending.lock.lock()
            defer { pending.lock.unlock() }
            guard offset < pending.size else { return 0 }
            let count = Int(min(UInt64(buffer.count), pending.size - offset))
            do { return try pending.spool.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])) } catch {
                throw FSError.wrap(error, pending.name)
            }
        case .specDraft(let draft)?:
            draft.lock.lock()
            defer { draft.lock.unlock() }
            return Self.copy(draft.bytes, from: offset, into: buffer)
        case .virtual(let content)?:
            return Self.copy(content, from: offset, into: buffer)
        case nil:
            throw FSError(EBADF, "bad file handle")
        }
    }

    /// `truncate` / `ftruncate`: sizes past the limit fail at once with EFBIG.
    public func truncate(path: String, size: UInt64, handle: UInt64?) throws(FSError) {
        let node = try node(path)
        if case .generateFile(let name) = node, let draft = state.withLock({ $0.drafts[name] }) {
            guard size <= Self.maxSpecSize else { throw report(FSError(EFBIG, "generate/\(name): a spec is at most \(Self.maxSpecSize) bytes")) }
            draft.lock.lock()
            draft.bytes = Array(draft.bytes.prefix(Int(size))) + Array(repeating: 0, count: max(0, Int(size) - draft.bytes.count))
            draft.dirty = true
            draft.lock.unlock()
            return
        }
        guard case .entry(let name) = node else { throw FSError(EACCES, "\(path) is read-only") }
        if size > options.maxFileSize { throw report(FSError.tooLarge(name, limit: options.maxFileSize)) }
        let pending: PendingFile? = state.withLock { ns in
            if let handle, case .writer(let pending)? = ns.handles[handle] { return pending }
            return ns.pending[name]
        }
        guard let pending else {
            if state.withLock({ $0.loras[name] }) != nil {
                throw report(FSError.notPermitted("\(name): a stored LoRA cannot be modified in place; copy a new version over it"))
            }
            throw FSError.notFound(name)
        }
        pending.lock.lock()
        defer { pending.lock.unlock() }
        if pending.size != size { pending.truncateLocked(to: size) }
    }

    /// `fallocate`: reserves spool space; past the limit it fails at once with EFBIG.
    public func allocate(handle: UInt64, offset: UInt64, length: UInt64, keepSize: Bool) throws(FSError) {
        let pending = try writer(handle)
        pending.lock.lock()
        defer { pending.lock.unlock() }
        let end = offset + length
        if end > options.maxFileSize { throw report(FSError.tooLarge(pending.name, limit: options.maxFileSize)) }
        if !keepSize && end > pending.size {
            do { try pending.spool.truncate(to: end) } catch { throw FSError.wrap(error, pending.name) }
            pending.size = end
            pending.dirty = true
        }
    }

    /// `unlink`: deletes the object, then the row. If S3 refuses, the LoRA stays.
    public func unlink(path: String) throws(FSError) {
        let node = try node(path)
        if node.isGeneration { return try unlinkGeneration(node) }
        guard case .entry(let name) = node else { throw FSError(EACCES, "\(path) cannot be removed") }
        let (record, pending) = state.withLock { ($0.loras[name], $0.pending[name]) }
        if let pending, record == nil {
            state.withLock { ns in if ns.pending[name] === pending { ns.pending[name] = nil } }
            pending.lock.lock()
            pending.abandonUpload()
            pending.failure = FSError.notFound(name)
            pending.lock.unlock()
            return
        }
        guard let record else { throw FSError.notFound(name) }
        do {
            try store.deleteObject(key: record.objectKey)
        } catch {
            throw report(FSError.io("\(name): S3 refused the delete, so it stays: \(error)"))
        }
        try? store.deleteObject(key: ObjectMetadata.manifestKey(for: record, prefix: options.keyPrefix))
        do {
            try catalog.delete(named: name)
        } catch {
            throw report(FSError.io("\(name): the object is deleted but the catalog could not be updated: \(error)"))
        }
        state.withLock { _ = $0.loras.removeValue(forKey: name) }
        logger.info("deleted", metadata: ["name": "\(name)", "key": "\(record.objectKey)"])
    }

    /// `rename`: a catalog update for stored LoRAs (no S3 copy); the commit of a
    /// staging file written by rsync, safetensors or an atomic save.
    public func rename(from: String, to: String, noReplace: Bool) throws(FSError) {
        if case .generateFile(let source) = try node(from), case .generateFile(let target) = try node(to) {
            return try renameSpec(from: source, to: target)
        }
        guard case .entry(let source) = try node(from), case .entry(let target) = try node(to) else {
            throw report(FSError.notPermitted("\(from) -> \(to): only files at the top of the mount can be renamed"))
        }
        let (record, pending, targetExists) = state.withLock {
            ($0.loras[source], $0.pending[source], $0.loras[target] != nil || $0.pending[target] != nil)
        }
        if noReplace && targetExists { throw FSError(EEXIST, "\(target) already exists") }
        let targetRole = try role(for: target)
        if let pending, record == nil || pending.role == .staging {
            try commitRename(pending, from: source, to: target, targetRole: targetRole)
            return
        }
        guard let record else { throw FSError.notFound(source) }
        guard case .lora = targetRole else {
            throw report(FSError.notPermitted("\(target): a stored LoRA can only be renamed to a .safetensors or .ckpt name"))
        }
        guard LoRANameRules.classify(target) == LoRANameRules.classify(source) else {
            throw report(FSError.notPermitted("\(source) -> \(target): renaming cannot change the file type"))
        }
        do {
            let replaced = try catalog.rename(from: source, to: target)
            var renamed = record
            renamed.name = target
            state.withLock { ns in
                ns.loras[source] = nil
                ns.loras[target] = renamed
            }
            if let replaced, replaced.objectKey != record.objectKey { deleteObjects(of: replaced) }
            try? store.putObject(key: ObjectMetadata.manifestKey(for: renamed, prefix: options.keyPrefix),
                                 body: ObjectMetadata.manifest(renamed, workspace: options.workspace),
                                 metadata: [:], contentSHA256: [])
        } catch {
            throw report(FSError.io("\(source) -> \(target): catalog update failed: \(error)"))
        }
    }

    private func commitRename(_ pending: PendingFile, from source: String, to target: String,
                              targetRole: PendingFile.Role) throws(FSError) {
        pending.lock.lock()
        defer { pending.lock.unlock() }
        if let failure = pending.failure { throw failure }
        switch targetRole {
        case .staging:
            // Staging to staging (a tool shuffling temp names): just move it.
            state.withLock { ns in
                ns.pending[source] = nil
                ns.pending[target] = pending
                pending.name = target
            }
        case .lora:
            try commit(pending, as: target)
            state.withLock { ns in
                if ns.pending[source] === pending { ns.pending[source] = nil }
                if pending.openHandles > 0 { ns.pending[target] = pending }
            }
        }
    }
}

extension WorkspaceFilesystem {
    /// `mkdir`: the workspace is flat.
    public func makeDirectory(path: String) throws(FSError) {
        throw report(FSError.notPermitted("\(path): the workspace is flat; directories cannot be created"))
    }

    public func removeDirectory(path: String) throws(FSError) {
        switch try node(path) {
        case .jobDirectory(let name): try removeJob(name)
        case .root, .controlDirectory, .generateDirectory, .jobsDirectory: throw FSError(EPERM, "\(path) cannot be removed")
        default: throw FSError(ENOTDIR, "\(path) is not a directory")
        }
    }

    /// Extended attributes: `user.lorafs.last_error` on the root; on each LoRA what
    /// the catalog knows (`getfattr -d -m user.lorafs FILE`): sha256, object_key,
    /// and from its safetensors header rank, hidden_size, base_model,
    /// trigger_phrase, timestep_range.
    public func extendedAttribute(path: String, name: String) -> String? {
        guard name.hasPrefix("user.lorafs.") else { return nil }
        switch try? node(path) {
        case .root?:
            return name == "user.lorafs.last_error" ? lastError : nil
        case .entry(let file)?:
            guard let record = state.withLock({ $0.loras[file] }) else { return nil }
            return Self.loraAttributes(record).first { "user.lorafs." + $0.0 == name }?.1
        default:
            return nil
        }
    }

    public func extendedAttributeNames(path: String) -> [String] {
        switch try? node(path) {
        case .root?: return lastError == nil ? [] : ["user.lorafs.last_error"]
        case .entry(let file)?:
            guard let record = state.withLock({ $0.loras[file] }) else { return [] }
            return Self.loraAttributes(record).map { "user.lorafs." + $0.0 }
        default: return []
        }
    }

    /// A LoRA's extended attributes, the ones it has a value for.
    static func loraAttributes(_ record: LoRARecord) -> [(String, String)] {
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

extension WorkspaceFilesystem {
    /// Copies `content[offset...]` into `buffer`; returns the count.
    static func copy(_ content: [UInt8], from offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard offset < content.count else { return 0 }
        let count = min(buffer.count, content.count - Int(offset))
        content.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: count)
        }
        return count
    }
}
