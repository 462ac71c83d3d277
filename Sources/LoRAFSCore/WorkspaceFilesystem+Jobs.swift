import Catalog
import Foundation
import Generation
import LoRAFormats

/// A spec being written into `generate/`: small (≤ 1 MiB), kept in memory, and
/// submitted by its writer's `close()` (or by the rename of a temp file to `NAME.json`).
final class SpecDraft: @unchecked Sendable {
    let lock = NSLock()
    // Guarded by `lock`.
    var name: String
    var bytes: [UInt8] = []
    var dirty = false
    var failure: FSError?
    // Guarded by the namespace lock.
    var writer: Int32?
    var openHandles = 0

    init(name: String) { self.name = name }

    /// The job a spec file submits: `NAME` for `NAME.json`, nil for temp names.
    var jobName: String? { Self.jobName(of: name) }

    static func jobName(of file: String) -> String? {
        guard file.hasSuffix(".json"), !file.hasPrefix("."), file != WorkspaceFilesystem.schemaFileName else { return nil }
        return String(file.dropLast(5))
    }
}

extension WorkspaceFilesystem {
    static let generateDirectoryName = "generate"
    static let jobsDirectoryName = "jobs"
    static let schemaFileName = "schema.json"
    static let jobFiles = ["spec.json", "status.json", "output.mp4"]
    static let maxSpecSize = 1 << 20

    // MARK: - Attributes and listings

    func generationAttributes(_ node: Node, handle: UInt64?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes {
        switch node {
        case .generateDirectory, .jobsDirectory:
            return Self.directory(mountedAt.timeIntervalSince1970)
        case .generateFile(Self.schemaFileName):
            return Self.virtualFile(size: schemaJSON().count)
        case .generateFile(let name):
            let draft: SpecDraft? = state.withLock { ns in
                if let handle, case .specDraft(let draft)? = ns.handles[handle] { return draft }
                guard let draft = ns.drafts[name], caller.map({ $0.processID == draft.writer }) ?? true else { return nil }
                return draft
            }
            guard let draft else { throw FSError.notFound("generate/\(name)") }
            draft.lock.lock()
            defer { draft.lock.unlock() }
            return FileAttributes(kind: .file, size: UInt64(draft.bytes.count), modified: Date().timeIntervalSince1970, mode: 0o644)
        case .jobDirectory(let name):
            guard let job = jobs.job(name) else { throw FSError.notFound("jobs/\(name)") }
            return FileAttributes(kind: .directory, size: 4096, modified: job.createdAt, mode: 0o755)
        case .jobFile(let name, let file):
            guard let job = jobs.job(name) else { throw FSError.notFound("jobs/\(name)") }
            switch file {
            case "spec.json": return Self.virtualFile(size: job.spec.utf8.count, modified: job.createdAt)
            case "status.json": return Self.virtualFile(size: JobBoard.statusJSON(job).count, modified: job.updatedAt)
            default:
                guard let size = job.outputSize, job.outputKey != nil else { throw FSError.notFound("jobs/\(name)/\(file)") }
                return FileAttributes(kind: .file, size: UInt64(size), modified: job.updatedAt, mode: 0o444)
            }
        default:
            throw FSError.notFound("\(node)")
        }
    }

    static func virtualFile(size: Int, modified: Double = Date().timeIntervalSince1970) -> FileAttributes {
        FileAttributes(kind: .file, size: UInt64(size), modified: modified, mode: 0o444, isVirtual: true)
    }

    func generationListing(_ node: Node) throws(FSError) -> [DirectoryEntry] {
        switch node {
        case .generateDirectory:
            return [DirectoryEntry(name: Self.schemaFileName, attributes: Self.virtualFile(size: schemaJSON().count))]
        case .jobsDirectory:
            return jobs.all.sorted { $0.createdAt < $1.createdAt }.map {
                DirectoryEntry(name: $0.name, attributes: FileAttributes(kind: .directory, size: 4096, modified: $0.createdAt, mode: 0o755))
            }
        case .jobDirectory(let name):
            guard let job = jobs.job(name) else { throw FSError.notFound("jobs/\(name)") }
            let files = job.outputKey == nil ? ["spec.json", "status.json"] : Self.jobFiles
            return try files.map { file throws(FSError) in
                DirectoryEntry(name: file, attributes: try generationAttributes(.jobFile(job: name, file: file), handle: nil, caller: nil))
            }
        default:
            throw FSError(ENOTDIR, "not a directory")
        }
    }

    /// `generate/schema.json`: the spec's JSON Schema, its LoRA enum listing the workspace's LoRAs now.
    func schemaJSON() -> [UInt8] {
        let names = state.withLock { $0.loras.keys.sorted() }
        return JobSpecParser.schema(loraNames: names)
    }

    // MARK: - Writing specs

    /// `create` in `generate/`: `NAME.json` (a spec) or a temp name an editor uses.
    func createSpec(_ name: String, caller: ProcessIdentity?) throws(FSError) -> UInt64 {
        let file = "generate/\(name)"
        if name == Self.schemaFileName { throw report(FSError(EACCES, "\(file) is read-only")) }
        if let job = SpecDraft.jobName(of: name) {
            if let reason = JobBoard.validate(jobName: job) { throw report(FSError.notPermitted("\(file): \(reason)")) }
            if jobs.job(job) != nil { throw report(FSError(EEXIST, "\(file): a job named \"\(job)\" already exists")) }
        } else if case .refused = LoRANameRules.classify(name), !name.hasPrefix(".") {
            throw report(FSError.notPermitted("\(file): write job specs as generate/NAME.json"))
        }
        let writer = caller?.processID
        let (draft, handle) = state.withLock { ns in
            let draft = ns.drafts[name] ?? SpecDraft(name: name)
            ns.drafts[name] = draft
            draft.writer = writer
            draft.openHandles += 1
            let id = ns.nextHandle
            ns.nextHandle += 1
            ns.handles[id] = .specDraft(draft)
            return (draft, id)
        }
        draft.lock.lock()
        draft.bytes = []
        draft.dirty = false  // a shell's redirection closes an empty descriptor first: nothing to submit yet
        draft.failure = nil
        draft.lock.unlock()
        return handle
    }

    func writeSpec(_ draft: SpecDraft, offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        draft.lock.lock()
        defer { draft.lock.unlock() }
        let end = Int(offset) + bytes.count
        guard end <= Self.maxSpecSize else {
            draft.failure = report(FSError(EFBIG, "generate/\(draft.name): a spec is at most \(Self.maxSpecSize) bytes"))
            throw draft.failure!
        }
        if draft.bytes.count < end { draft.bytes.append(contentsOf: repeatElement(0, count: end - draft.bytes.count)) }
        draft.bytes.withUnsafeMutableBytes { target in
            target.baseAddress!.advanced(by: Int(offset)).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        draft.dirty = true
        return bytes.count
    }

    /// The writer's close submits the spec (once); EINVAL with the field's name if it is refused.
    func flushSpec(_ draft: SpecDraft, caller: ProcessIdentity?) throws(FSError) {
        let isWriter = state.withLock { _ in caller.map { $0.processID == draft.writer } ?? true }
        guard isWriter else { return }
        draft.lock.lock()
        defer { draft.lock.unlock() }
        if let failure = draft.failure { throw failure }
        guard draft.dirty, let job = draft.jobName else { return }
        try submit(draft, as: job)
    }

    /// Submits a draft's bytes as job `job` (draft lock held).
    func submit(_ draft: SpecDraft, as job: String) throws(FSError) {
        let loras = state.withLock { Array($0.loras.values) }
        do {
            try jobs.submit(name: job, bytes: draft.bytes, loras: loras)
            draft.dirty = false
        } catch {
            draft.failure = report(error)
            throw error
        }
    }

    /// The last close of a spec submits it if its writer's close did not (the
    /// writer closed first); the error then reaches only the log and `.lorafs/errors`.
    func releaseSpec(_ draft: SpecDraft) {
        let last = state.withLock { ns in
            draft.openHandles -= 1
            guard draft.openHandles == 0 else { return false }
            if ns.drafts[draft.name] === draft { ns.drafts[draft.name] = nil }
            return true
        }
        guard last else { return }
        draft.lock.lock()
        defer { draft.lock.unlock() }
        if draft.dirty, draft.failure == nil, let job = draft.jobName { try? submit(draft, as: job) }
    }

    /// A temp file renamed to `NAME.json` (an editor's atomic save) submits it.
    func renameSpec(from source: String, to target: String) throws(FSError) {
        guard let draft = state.withLock({ $0.drafts[source] }) else { throw FSError.notFound("generate/\(source)") }
        guard let job = SpecDraft.jobName(of: target) else {
            throw report(FSError.notPermitted("generate/\(target): write job specs as generate/NAME.json"))
        }
        if let reason = JobBoard.validate(jobName: job) { throw report(FSError.notPermitted("generate/\(target): \(reason)")) }
        draft.lock.lock()
        defer { draft.lock.unlock() }
        try submit(draft, as: job)
        state.withLock { ns in if ns.drafts[source] === draft { ns.drafts[source] = nil } }
    }

    // MARK: - Reading and removing

    func openGeneration(_ node: Node, mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> UInt64 {
        if case .generateFile(let name) = node, mode.write {
            return try createSpec(name, caller: caller)
        }
        if mode.write { throw FSError(EACCES, "read-only") }
        let handle: OpenHandle
        switch node {
        case .generateFile(Self.schemaFileName):
            handle = .virtual(schemaJSON())
        case .jobFile(let name, let file):
            guard let job = jobs.job(name) else { throw FSError.notFound("jobs/\(name)") }
            switch file {
            case "spec.json": handle = .virtual(Array(job.spec.utf8))
            case "status.json": handle = .virtual(JobBoard.statusJSON(job))
            default:
                guard let key = job.outputKey, let size = job.outputSize else { throw FSError.notFound("jobs/\(name)/output.mp4") }
                handle = .object(ObjectReader(key: key, size: UInt64(size), store: store, pool: downloads))
            }
        case .generateFile(let name):
            throw FSError.notFound("generate/\(name)")
        default:
            throw FSError(EISDIR, "is a directory")
        }
        return state.withLock { ns in
            let id = ns.nextHandle
            ns.nextHandle += 1
            ns.handles[id] = handle
            return id
        }
    }

    /// `unlink` in `generate/` drops a draft; in `jobs/NAME/` it succeeds without
    /// effect, so that `rm -r jobs/NAME` reaches the `rmdir` that cancels the job.
    func unlinkGeneration(_ node: Node) throws(FSError) {
        switch node {
        case .generateFile(let name):
            guard state.withLock({ $0.drafts.removeValue(forKey: name) }) != nil else {
                throw FSError(name == Self.schemaFileName ? EACCES : ENOENT, "generate/\(name) cannot be removed")
            }
        case .jobFile(let name, _):
            guard jobs.job(name) != nil else { throw FSError.notFound("jobs/\(name)") }
        default:
            throw FSError(EISDIR, "is a directory")
        }
    }

    /// `rmdir jobs/NAME` (the end of `rm -r`): cancels the job if active, then forgets it.
    func removeJob(_ name: String) throws(FSError) {
        do { try jobs.cancelAndForget(name) } catch { throw error.errno == ENOENT ? error : report(error) }
    }
}
