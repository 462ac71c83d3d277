import Foundation
import Generation
import LoRAFormats
import Synchronization

/// `generate/`: where job specs are written. `NAME.json` is submitted as job
/// `NAME` by its writer's `close()` (or by an editor's rename of a temp file to
/// it); `schema.json` is the spec's JSON Schema, listing the workspace's LoRAs.
final class SpecInbox: Subtree {
    let folder: String? = "generate"
    static let schemaFileName = "schema.json"
    static let maxSpecSize = 1 << 20
    let services: WorkspaceServices
    private let jobs: JobBoard
    /// Specs being written, by file name.
    private let drafts = Mutex<[String: SpecDraft]>([:])

    init(services: WorkspaceServices, jobs: JobBoard) {
        self.services = services
        self.jobs = jobs
    }

    /// What editors and atomic savers write before renaming to `NAME.json`:
    /// dot-files (`.NAME.json.swp`, `.#NAME.json`, `.goutputstream-XXXXXX`,
    /// rsync's `.NAME.json.XXXXXX`), `NAME.json~`, `NAME.json.tmp`, Python's `tmpXXXXXXXX`.
    static func isEditorTempName(_ name: String) -> Bool {
        if name.hasPrefix("."), name.count > 1 { return true }
        if name.hasSuffix("~") || name.hasSuffix(".tmp") || name.hasSuffix(".part") { return true }
        return LoRANameRules.classify(name) == .staging
    }

    /// `schema.json`, its LoRA enum listing the workspace's LoRAs now.
    func schemaJSON() -> [UInt8] { JobSpecParser.schema(loraNames: services.mirror.names) }

    private func file(_ path: [String]) throws(FSError) -> String {
        guard path.count == 1 else { throw FSError.notFound(display(path)) }
        return path[0]
    }

    func attributes(of path: [String], handle: (any OpenFile)?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes {
        if path.isEmpty { return .directory(modified: services.rootModified) }
        let name = try file(path)
        if name == Self.schemaFileName { return .virtualFile(size: schemaJSON().count) }
        if let handle = handle as? SpecHandle { return handle.draft.attributes }
        guard let (draft, writer) = drafts.withLock({ $0[name].map { ($0, $0.writer) } }),
              caller.map({ $0.processID == writer }) ?? true else { throw FSError.notFound("generate/\(name)") }
        return draft.attributes
    }

    func list(_ path: [String]) throws(FSError) -> [DirectoryEntry] {
        guard path.isEmpty else { throw FSError(.notDirectory(display(path))) }
        return [DirectoryEntry(name: Self.schemaFileName, attributes: .virtualFile(size: schemaJSON().count))]
    }

    func open(_ path: [String], mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        if path.isEmpty { throw FSError(.isDirectory(display(path))) }
        if mode.write { return try create(path, caller: caller) }
        guard try file(path) == Self.schemaFileName else { throw FSError.notFound(display(path)) }
        return VirtualFile(schemaJSON())
    }

    /// `create`: `NAME.json` (a spec) or a temp name an editor uses.
    func create(_ path: [String], caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        let name = try file(path)
        let file = "generate/\(name)"
        if name == Self.schemaFileName { throw services.report(FSError(.readOnly(file))) }
        if let job = SpecDraft.jobName(of: name) {
            if let reason = JobBoard.validate(jobName: job) { throw services.report(.notPermitted(file, reason)) }
            if jobs.job(job) != nil { throw services.report(JobBoard.exists(file, job)) }
        } else if !Self.isEditorTempName(name) {
            // Only `NAME.json` and the temp names editors save through: anything else
            // (`generate/x.safetensors`) would be dropped in silence.
            throw services.report(.notPermitted(file, "write job specs as generate/NAME.json"))
        }
        let writer = caller?.processID
        let draft = drafts.withLock { drafts in
            let draft = drafts[name] ?? SpecDraft(name: name)
            drafts[name] = draft
            draft.writer = writer
            draft.openHandles += 1
            return draft
        }
        draft.lock.lock()
        draft.bytes = []
        draft.dirty = false  // a shell's redirection closes an empty descriptor first: nothing to submit yet
        draft.failure = nil
        draft.submitted = false
        draft.lock.unlock()
        return SpecHandle(draft, inbox: self)
    }

    func truncate(_ path: [String], size: UInt64, handle: (any OpenFile)?) throws(FSError) {
        let name = try file(path)
        guard let draft = drafts.withLock({ $0[name] }) else { throw FSError(.readOnly(display(path))) }
        guard size <= Self.maxSpecSize else { throw services.report(.specTooLarge("generate/\(name)", limit: Self.maxSpecSize)) }
        draft.resize(to: Int(size))
    }

    func write(_ draft: SpecDraft, at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        draft.lock.lock()
        defer { draft.lock.unlock() }
        let end = Int(offset) + bytes.count
        guard end <= Self.maxSpecSize else {
            draft.failure = services.report(.specTooLarge("generate/\(draft.name)", limit: Self.maxSpecSize))
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
    func flush(_ draft: SpecDraft, caller: ProcessIdentity?) throws(FSError) {
        if let caller, caller.processID != drafts.withLock({ _ in draft.writer }) { return }
        draft.lock.lock()
        defer { draft.lock.unlock() }
        if let failure = draft.failure { throw failure }
        guard let job = draft.jobName else { return }
        // An empty spec fails its close (a shell redirection's first, empty close
        // is ignored by the shell; `release` journals a spec that stays empty).
        if draft.bytes.isEmpty && !draft.submitted { throw Self.emptySpec(draft) }
        guard draft.dirty else { return }
        try submit(draft, as: job)
    }

    static func emptySpec(_ draft: SpecDraft) -> FSError {
        FSError(.spec("generate/\(draft.name)", SpecError(field: "", reason: "the spec is empty; nothing was submitted")))
    }

    /// Submits a draft's bytes as job `job` (draft lock held).
    private func submit(_ draft: SpecDraft, as job: String) throws(FSError) {
        do {
            try jobs.submit(name: job, bytes: draft.bytes, loras: services.mirror.all)
            draft.dirty = false
            draft.submitted = true
        } catch {
            draft.failure = services.report(error)
            throw error
        }
    }

    /// The last close of a spec submits it if its writer's close did not (the
    /// writer closed first); the error then reaches only the log and `.lorafs/errors`.
    func release(_ draft: SpecDraft) {
        let last = drafts.withLock { drafts in
            draft.openHandles -= 1
            guard draft.openHandles == 0 else { return false }
            if drafts[draft.name] === draft { drafts[draft.name] = nil }
            return true
        }
        guard last else { return }
        draft.lock.lock()
        defer { draft.lock.unlock() }
        guard draft.failure == nil, let job = draft.jobName else { return }
        if draft.bytes.isEmpty && !draft.submitted {
            _ = services.report(Self.emptySpec(draft))
        } else if draft.dirty {
            try? submit(draft, as: job)
        }
    }

    /// A temp file renamed to `NAME.json` (an editor's atomic save) submits it.
    func rename(from source: [String], to target: [String], noReplace: Bool) throws(FSError) {
        let (source, target) = (try file(source), try file(target))
        guard let draft = drafts.withLock({ $0[source] }) else { throw FSError.notFound("generate/\(source)") }
        guard let job = SpecDraft.jobName(of: target) else {
            throw services.report(.notPermitted("generate/\(target)", "write job specs as generate/NAME.json"))
        }
        if let reason = JobBoard.validate(jobName: job) { throw services.report(.notPermitted("generate/\(target)", reason)) }
        draft.lock.lock()
        defer { draft.lock.unlock() }
        try submit(draft, as: job)
        drafts.withLock { drafts in if drafts[source] === draft { drafts[source] = nil } }
    }

    /// `unlink` drops a draft.
    func unlink(_ path: [String]) throws(FSError) {
        if path.isEmpty { throw FSError(.isDirectory(display(path))) }
        let name = try file(path)
        guard drafts.withLock({ $0.removeValue(forKey: name) }) != nil else {
            throw FSError(name == Self.schemaFileName ? .cannotRemove("generate/\(name)") : .notFound("generate/\(name)"))
        }
    }
}
