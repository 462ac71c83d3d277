import Catalog
import Foundation
import Logging
import LoRAFormats

extension WorkspaceFilesystem {
    /// Classifies a name a user tries to create: a LoRA, a staging name, or EPERM.
    func role(for name: String) throws(FSError) -> PendingFile.Role {
        switch LoRANameRules.classify(name) {
        case .lora(let kind): return .lora(kind)
        case .staging: return .staging
        case .refused(let reason): throw report(FSError.notPermitted("\(name): \(reason)"))
        }
    }

    /// `create`: a new file (or a fresh version of a stored one) in the spool.
    public func create(path: String, caller: ProcessIdentity? = nil) throws(FSError) -> UInt64 {
        let node = try node(path)
        if case .generateFile(let name) = node { return try createSpec(name, caller: caller) }
        guard case .entry(let name) = node else {
            throw report(FSError.notPermitted("\(path): cannot create files here"))
        }
        let role = try role(for: name)
        let spool: SpoolFile
        do { spool = try SpoolFile(directory: spoolDirectory) } catch { throw report(FSError.wrap(error, name)) }
        let fresh = PendingFile(name: name, role: role, spool: spool)
        let writer = caller?.processID
        let (pending, handle) = state.withLock { ns in
            let pending = ns.pending[name] ?? fresh
            ns.pending[name] = pending
            pending.writer = writer
            return (pending, open(pending, as: .writer(pending), in: &ns))
        }
        if pending !== fresh {
            pending.lock.lock()
            pending.truncateLocked(to: 0)
            pending.lock.unlock()
        }
        return handle
    }

    /// Registers a handle on a pending file (namespace lock held).
    func open(_ pending: PendingFile, as handle: OpenHandle, in ns: inout Namespace) -> UInt64 {
        pending.openHandles += 1
        let id = ns.nextHandle
        ns.nextHandle += 1
        ns.handles[id] = handle
        return id
    }

    /// `write`: into the spool; LoRA files also stream to S3 and are format-checked
    /// as soon as their header is complete.
    public func write(handle: UInt64, offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        let pending: PendingFile
        switch state.withLock({ $0.handles[handle] }) {  // one lookup on the hot path
        case .writer(let file)?: pending = file
        case .specDraft(let draft)?: return try writeSpec(draft, offset: offset, bytes: bytes)
        case nil: throw FSError(EBADF, "bad file handle")
        default: throw FSError(EBADF, "file not open for writing")
        }
        pending.lock.lock()
        defer { pending.lock.unlock() }
        if let failure = pending.failure { throw failure }
        let end = offset + UInt64(bytes.count)
        if end > options.maxFileSize {
            pending.failure = report(FSError.tooLarge(pending.name, limit: options.maxFileSize))
            pending.abandonUpload()
            throw pending.failure!
        }
        do { try pending.spool.write(at: offset, bytes) } catch { throw report(FSError.wrap(error, pending.name)) }
        pending.size = max(pending.size, end)
        pending.dirty = true
        if offset == pending.contiguousEnd {
            pending.contiguousEnd = end
        } else {
            pending.streamable = false
            if offset < pending.contiguousEnd { pending.contiguousEnd = max(pending.contiguousEnd, end) }
        }
        guard let target = pending.streamTarget else { return bytes.count }
        if let need = pending.headerNeed, pending.contiguousEnd >= need {
            do {
                try checkPrefix(of: pending, kind: target.kind)
            } catch {
                pending.failure = report(error)
                pending.abandonUpload()
                throw error
            }
        }
        if pending.streamable {
            startUploadIfNeeded(pending, name: target.name, kind: target.kind)
            pending.upload?.advance(to: pending.contiguousEnd)
        }
        return bytes.count
    }

    /// Fail fast: refuses a bad safetensors header (or a non-checkpoint) as soon as the bytes are there.
    func checkPrefix(of pending: PendingFile, kind: LoRAFileKind) throws(FSError) {
        let available = pending.contiguousEnd
        switch kind {
        case .safetensors:
            let need = pending.headerNeed ?? 8
            let prefix: [UInt8]
            do { prefix = try pending.spool.read(at: 0, count: Int(min(available, need))) } catch { throw FSError.wrap(error, pending.name) }
            do {
                switch try SafetensorsHeader.parse(prefix: prefix) {
                case .needBytes(let more):
                    pending.headerNeed = more
                    if more > options.maxFileSize { throw FSError.tooLarge(pending.name, limit: options.maxFileSize) }
                case .header:
                    pending.headerNeed = nil
                }
            } catch let error as LoRAValidationError {
                throw FSError.refused(pending.name, error)
            } catch let error as FSError {
                throw error
            } catch {
                throw FSError.wrap(error, pending.name)
            }
        case .ckpt:
            guard available >= 4 else { return }
            do {
                try CheckpointValidator.checkPrefix(try pending.spool.read(at: 0, count: 4))
                pending.headerNeed = nil
            } catch let error as LoRAValidationError {
                throw FSError.refused(pending.name, error)
            } catch {
                throw FSError.wrap(error, pending.name)
            }
        }
    }

    /// Starts streaming to a new object key; `name` goes into the object's metadata
    /// (the manifest written at commit carries the final name).
    func startUploadIfNeeded(_ pending: PendingFile, name: String, kind: LoRAFileKind) {
        guard pending.upload == nil else { return }
        pending.uploadKind = kind
        let key = options.keyPrefix + "loras/" + UUID().uuidString.lowercased() + "." + kind.rawValue
        pending.upload = StreamingUpload(
            key: key, store: store, spool: pending.spool,
            metadata: ObjectMetadata.initial(workspace: options.workspace, name: name, kind: kind),
            partSize: options.partSize, maxInFlight: options.maxPartsInFlight, pool: uploads, buffers: partBuffers, logger: logger)
    }

    /// `flush` (every `close()` of every duplicated descriptor): the writer's own
    /// close commits a LoRA file written since its last commit. Closes by other
    /// processes (a child inheriting the descriptor across fork/exec, a reader)
    /// commit nothing; if the writer closed first, the last release commits.
    /// Staging files are committed by their rename instead.
    public func flush(handle: UInt64, caller: ProcessIdentity? = nil) throws(FSError) {
        if case .specDraft(let draft)? = state.withLock({ $0.handles[handle] }) {
            return try flushSpec(draft, caller: caller)
        }
        guard let pending: PendingFile = state.withLock({ ns in
            guard case .writer(let pending)? = ns.handles[handle] else { return nil }
            if let caller, let writer = pending.writer, caller.processID != writer { return nil }
            return pending
        }) else { return }
        pending.lock.lock()
        defer { pending.lock.unlock() }
        if let failure = pending.failure { throw failure }
        guard pending.dirty, case .lora = pending.role else { return }
        try commit(pending, as: pending.name)
    }

    /// `fsync`: the data is durable once it is in S3, which is what `close()` does;
    /// an fsync in the middle of a copy only has the spool to flush.
    public func fsync(handle: UInt64) throws(FSError) {
        _ = try writerOrNil(handle)
    }

    /// Validates, finishes the upload and records the file under `name` (pending's lock held).
    func commit(_ pending: PendingFile, as name: String) throws(FSError) {
        guard case .lora(let kind) = try role(for: name) else {
            throw report(FSError.notPermitted("\(name): not a LoRA name"))
        }
        let size = pending.size
        let summary: LoRASummary?
        do {
            summary = try validate(pending, kind: kind, name: name)
        } catch {
            pending.failure = report(error)
            pending.abandonUpload()
            throw pending.failure!
        }
        if !pending.streamable || pending.upload == nil || pending.uploadKind != kind {
            pending.abandonUpload()
            startUploadIfNeeded(pending, name: name, kind: kind)
        }
        state.withLock { _ in pending.name = name }
        pending.role = .lora(kind)
        let upload = pending.upload!
        let record: LoRARecord
        do {
            let result = try upload.drain(size: size)
            try upload.complete(result: result)
            record = LoRARecord(
                name: name, objectKey: upload.key, size: Int64(size), sha256: result.sha256.hexString,
                uploadedAt: Date().timeIntervalSince1970, kind: kind.rawValue, rank: summary?.rank,
                hiddenSize: summary?.hiddenSize, hasImageCrossAttention: summary?.hasImageCrossAttention ?? false,
                timestepRange: summary?.timestepRange, triggerPhrase: summary?.triggerPhrase, baseModel: summary?.baseModel)
        } catch {
            // Sticky, like a refusal: the writer was told the copy failed, so a
            // later close or release must not store it after all.
            pending.abandonUpload()
            pending.failure = report(FSError.io("\(name): upload to S3 failed: \(error)"))
            throw pending.failure!
        }
        pending.upload = nil
        do {
            try store.putObject(key: ObjectMetadata.manifestKey(for: record, prefix: options.keyPrefix),
                                body: ObjectMetadata.manifest(record, workspace: options.workspace),
                                metadata: [:], contentSHA256: [])
            let replaced = try catalog.upsert(record)
            state.withLock { $0.loras[name] = record }
            if let replaced, replaced.objectKey != record.objectKey { deleteObjects(of: replaced) }
        } catch {
            deleteObjects(of: record)
            pending.failure = report(FSError.io("\(name): recording the upload failed: \(error)"))
            throw pending.failure!
        }
        pending.dirty = false
        pending.streamable = false
        logger.info("stored", metadata: ["name": "\(name)", "size": "\(size)", "key": "\(record.objectKey)"])
    }

    /// Full validation of the spooled file; returns what a safetensors header says about the LoRA.
    func validate(_ pending: PendingFile, kind: LoRAFileKind, name: String) throws(FSError) -> LoRASummary? {
        let size = pending.size
        do {
            switch kind {
            case .safetensors:
                return try SafetensorsHeader.validate(pending.spool.source(size: size)).loraSummary
            case .ckpt:
                _ = try CheckpointValidator.validate(pending.spool.source(size: size))
                return nil
            }
        } catch {
            throw FSError.refused(name, error)
        }
    }

    /// Deletes an object and its manifest; a failure only leaves an orphan for `fsck`.
    func deleteObjects(of record: LoRARecord) {
        do {
            try store.deleteObject(key: record.objectKey)
            try store.deleteObject(key: ObjectMetadata.manifestKey(for: record, prefix: options.keyPrefix))
        } catch {
            logger.warning("could not delete a replaced object", metadata: ["key": "\(record.objectKey)", "error": "\(error)"])
        }
    }

    /// `release`: the last close of a file discards what was not committed
    /// (staging files wait `stagingGrace` for their rename).
    public func release(handle: UInt64) {
        let pending: PendingFile
        switch state.withLock({ $0.handles.removeValue(forKey: handle) }) {
        case .specDraft(let draft)?:
            return releaseSpec(draft)
        case .writer(let file)?, .pendingReader(let file)?:
            pending = file
        default:
            return
        }
        let last = state.withLock { _ in
            pending.openHandles -= 1
            pending.lastRelease = Date()
            return pending.openHandles == 0
        }
        guard last else { return }
        pending.lock.lock()
        let keep = pending.role == .staging && pending.failure == nil
        if case .lora = pending.role, pending.dirty, pending.failure == nil {
            // The writer's own close came before another descriptor's: commit now.
            // The error, if any, can only reach the log and `.lorafs/errors`.
            try? commit(pending, as: pending.name)
        }
        pending.lock.unlock()
        if !keep { discard(pending) }
    }

    /// Forgets a pending file nobody has open, and aborts its upload.
    func discard(_ pending: PendingFile) {
        let removed = state.withLock { ns in
            guard pending.openHandles == 0, ns.pending[pending.name] === pending else { return false }
            ns.pending[pending.name] = nil
            return true
        }
        guard removed else { return }
        pending.lock.lock()
        pending.abandonUpload()
        pending.lock.unlock()
    }

    func writer(_ handle: UInt64) throws(FSError) -> PendingFile {
        guard let pending = try writerOrNil(handle) else { throw FSError(EBADF, "file not open for writing") }
        return pending
    }

    func writerOrNil(_ handle: UInt64) throws(FSError) -> PendingFile? {
        switch state.withLock({ $0.handles[handle] }) {
        case .writer(let pending)?: return pending
        case nil: throw FSError(EBADF, "bad file handle")
        default: return nil
        }
    }

    /// Discards staging files whose rename never came, every few seconds.
    func startSweeper() {
        let thread = Thread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: 5)
                guard let self else { return }
                self.sweepStaging(olderThan: self.options.stagingGrace)
            }
        }
        thread.name = "lorafs-sweeper"
        thread.start()
    }

    func sweepStaging(olderThan grace: TimeInterval) {
        let now = Date()
        let stale = state.withLock { ns in
            ns.pending.values.filter { $0.openHandles == 0 && now.timeIntervalSince($0.lastRelease) >= grace }
        }
        for pending in stale {
            logger.info("discarding a staging file that was never renamed", metadata: ["name": "\(pending.name)"])
            discard(pending)
        }
    }

    /// At unmount: nothing half-written survives.
    public func shutdown() {
        sweepStaging(olderThan: 0)
    }
}

extension PendingFile {
    /// Truncates (lock held): the upload restarts if it already sent bytes past `size`.
    func truncateLocked(to newSize: UInt64) {
        try? spool.truncate(to: newSize)
        if newSize < contiguousEnd {
            contiguousEnd = newSize
            if upload != nil { streamable = false }
        }
        if newSize == 0 {
            abandonUpload()
            streamable = true
            headerNeed = 8
            failure = nil
        }
        size = newSize
        dirty = true
    }
}
