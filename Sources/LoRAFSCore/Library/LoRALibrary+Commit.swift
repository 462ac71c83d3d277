import Foundation
import LoRAFormats

extension LoRALibrary {
    /// `flush` (every `close()` of every duplicated descriptor): the writer's own
    /// close commits a LoRA file written since its last commit. Closes by other
    /// processes (a child inheriting the descriptor across fork/exec, a reader)
    /// commit nothing; if the writer closed first, the last release commits.
    /// Staging files are uploaded by that close and recorded by their rename.
    func flush(_ file: PendingFile, caller: ProcessIdentity?) throws(FSError) {
        if let caller, let writer = pending.withLock({ _ in file.writer }), caller.processID != writer { return }
        file.lock.lock()
        defer { file.lock.unlock() }
        if let failure = file.failure { throw failure }
        // A staging file uploads at its writer's close, so its rename only records it.
        guard case .lora = file.role else { return try file.prepare() }
        // Nothing written: `cp` of an empty file fails instead of storing nothing in
        // silence. Not sticky and not journaled here: a shell redirection closes an
        // empty descriptor before its command writes; `release` journals what stays empty.
        if Self.isEmpty(file) { throw FSError(.refused(file.name, Self.emptyFile)) }
        guard file.dirty else { return }
        try commit(file, as: file.name)
    }

    static let emptyFile = LoRAValidationError(.invalidFormat, "empty file: a LoRA cannot be 0 bytes; nothing was stored")

    /// Created (or truncated) and never written (lock held).
    static func isEmpty(_ file: PendingFile) -> Bool { file.size == 0 && !file.dirty && file.failure == nil }

    /// Commits `file` under `name` (its lock held); the name must be a LoRA name.
    func commit(_ file: PendingFile, as name: String) throws(FSError) {
        guard case .lora(let kind) = try role(for: name) else {
            throw services.report(.notPermitted(name, "not a LoRA name"))
        }
        try file.commit(as: name, kind: kind) { file in pending.withLock { _ in file.name = name } }
    }

    /// The last close of a file discards what was not committed (staging files
    /// wait `stagingGrace` for their rename).
    func release(_ file: PendingFile) {
        let last = pending.withLock { _ in
            file.openHandles -= 1
            file.lastRelease = Date()
            return file.openHandles == 0
        }
        guard last else { return }
        file.lock.lock()
        let keep = file.role == .staging && file.failure == nil
        if case .lora = file.role, Self.isEmpty(file) {
            _ = services.report(.refused(file.name, Self.emptyFile))
        } else if case .lora = file.role, file.dirty, file.failure == nil {
            // The writer's own close came before another descriptor's: commit now.
            // The error, if any, can only reach the log and `.lorafs/errors`.
            try? commit(file, as: file.name)
        }
        file.lock.unlock()
        if !keep { discard(file) }
    }

    /// Forgets a pending file nobody has open, and aborts its upload.
    func discard(_ file: PendingFile) {
        let removed = pending.withLock { map in
            guard file.openHandles == 0, map[file.name] === file else { return false }
            map[file.name] = nil
            return true
        }
        guard removed else { return }
        file.lock.lock()
        file.abandonUpload()
        file.dropPrepared()
        file.lock.unlock()
    }

    /// Discards staging files whose rename never came, every few seconds.
    func startSweeper() {
        let thread = Thread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: 5)
                guard let self else { return }
                self.sweepStaging(olderThan: self.services.options.stagingGrace)
            }
        }
        thread.name = "lorafs-sweeper"
        thread.start()
    }

    func sweepStaging(olderThan grace: TimeInterval) {
        let now = Date()
        let stale = pending.withLock { map in
            map.filter { $0.value.openHandles == 0 && now.timeIntervalSince($0.value.lastRelease) >= grace }
        }
        for (name, file) in stale {
            // Not silent: a user who copied to a name taken for a temp file learns it here.
            if file.role == .staging, file.attributes.size > 0 {
                _ = services.report(.stagingDiscarded(name, after: Int(grace)))
            }
            discard(file)
        }
    }

    /// At unmount: nothing half-written survives.
    func shutdown() { sweepStaging(olderThan: 0) }

    /// Files being written, for `.lorafs/status`: name, bytes written, bytes in S3.
    var uploadsInProgress: [(name: String, written: UInt64, uploaded: UInt64?)] {
        pending.withLock { $0.sorted { $0.key < $1.key } }.map { ($0.key, $0.value.attributes.size, $0.value.uploadedBytes) }
    }
}
