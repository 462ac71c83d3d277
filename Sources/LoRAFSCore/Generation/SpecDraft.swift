import Foundation
import Synchronization

/// A spec being written into `generate/`: small (≤ 1 MiB), kept in memory, and
/// submitted by its writer's `close()` (or by the rename of a temp file to `NAME.json`).
final class SpecDraft: @unchecked Sendable {
    let lock = NSLock()
    // Guarded by `lock`.
    var name: String
    var bytes: [UInt8] = [] {
        didSet { shownSize.withLock { $0 = bytes.count } }
    }
    /// The size for `getattr`, readable while a submission (which waits on the backend) holds `lock`.
    private let shownSize = Mutex(0)
    var dirty = false
    /// Submitted as a job already (its file then stays until the last close).
    var submitted = false
    var failure: FSError?
    // Guarded by the inbox's lock.
    var writer: Int32?
    var openHandles = 0

    init(name: String) { self.name = name }

    /// The job a spec file submits: `NAME` for `NAME.json`, nil for temp names.
    var jobName: String? { Self.jobName(of: name) }

    static func jobName(of file: String) -> String? {
        guard file.hasSuffix(".json"), !file.hasPrefix("."), file != SpecInbox.schemaFileName else { return nil }
        return String(file.dropLast(5))
    }

    var attributes: FileAttributes {
        FileAttributes(kind: .file, size: UInt64(shownSize.withLock { $0 }), modified: Date().timeIntervalSince1970, mode: 0o644)
    }

    /// Sets the size (lock taken): cut, or zero-filled.
    func resize(to size: Int) {
        lock.lock()
        bytes = Array(bytes.prefix(size)) + Array(repeating: 0, count: max(0, size - bytes.count))
        dirty = true
        lock.unlock()
    }
}

/// A descriptor on a spec draft.
final class SpecHandle: OpenFile {
    let draft: SpecDraft
    private let inbox: SpecInbox

    init(_ draft: SpecDraft, inbox: SpecInbox) {
        self.draft = draft
        self.inbox = inbox
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        draft.lock.lock()
        defer { draft.lock.unlock() }
        return VirtualFile.copy(draft.bytes, from: offset, into: buffer)
    }

    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        try inbox.write(draft, at: offset, bytes: bytes)
    }

    func flush(caller: ProcessIdentity?) throws(FSError) { try inbox.flush(draft, caller: caller) }

    func release() { inbox.release(draft) }
}
