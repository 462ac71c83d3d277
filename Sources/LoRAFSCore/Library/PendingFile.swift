import Catalog
import Foundation
import LoRAFormats
import Synchronization

/// A file being written into the mount: a new LoRA, an overwrite of one, or a
/// staging file that a tool will rename to a LoRA name.
///
/// Its bytes live in a spool file; a LoRA-named file also streams to S3 as it
/// grows (`upload`). It becomes visible in the catalog only when a commit
/// (the flush of `close()`, or the rename of a staging file) validated and
/// uploaded it completely.
final class PendingFile: @unchecked Sendable {
    enum Role: Equatable {
        case lora(LoRAFileKind)
        case staging
    }

    let services: WorkspaceServices
    /// Serialises writes, truncates and commits of this file. Lock order: a
    /// pending file's lock may be held while taking the library's lock, never
    /// the other way round.
    let lock = NSLock()
    /// Size and mtime for `getattr`, readable while a long commit holds `lock`.
    private let shownAttributes = Mutex(FileAttributes(kind: .file, size: 0, modified: Date().timeIntervalSince1970, mode: 0o644))

    /// Written holding both `lock` and the library's lock; read holding either.
    var name: String
    // Guarded by `lock`.
    var role: Role
    let spool: SpoolFile
    var size: UInt64 = 0 {
        didSet { shownAttributes.withLock { $0.size = size; $0.modified = Date().timeIntervalSince1970 } }
    }
    /// Everything below this offset has been written, with no holes.
    var contiguousEnd: UInt64 = 0
    /// False once the writer left the sequential path: the upload restarts from the spool at commit.
    var streamable = true
    var upload: StreamingUpload? {
        didSet { shownUpload.withLock { $0 = upload } }
    }
    /// `upload`, readable for `.lorafs/status` while a commit holds `lock`.
    private let shownUpload = Mutex<StreamingUpload?>(nil)
    /// The kind `upload` was started for.
    var uploadKind: LoRAFileKind?
    /// How many bytes of prefix the format check needs next; nil once it passed.
    var headerNeed: UInt64? = 8
    /// A sticky refusal (bad header, size limit): every later write and flush fails with it.
    var failure: FSError?
    /// Written since the last commit.
    var dirty = false
    /// A staging file's upload, completed at its writer's `close()` for the LoRA
    /// it will most likely become: its rename only records it, so the rename
    /// (which the kernel serialises with every lookup in the folder) never waits
    /// on S3. Deleted in the background if the file changes or is never renamed.
    var prepared: LoRARecord?

    // Guarded by the library's lock.
    /// The process that created (or truncated) the file: only its flushes commit,
    /// and only it sees the file before the commit.
    var writer: Int32?
    var openHandles = 0
    var lastRelease = Date()

    init(name: String, role: Role, spool: SpoolFile, services: WorkspaceServices) {
        self.name = name
        self.role = role
        self.spool = spool
        self.services = services
    }

    var attributes: FileAttributes { shownAttributes.withLock { $0 } }

    /// Bytes acknowledged by S3 so far, if the file is streaming.
    var uploadedBytes: UInt64? { shownUpload.withLock { $0 }?.progress.uploaded }

    /// What a streaming upload starts with while the file is written: its own
    /// name for a LoRA name; for a staging name, the LoRA name it will most
    /// likely be renamed to (rsync's `.NAME.XXXXXX`, `NAME.safetensors.part`),
    /// so rsync's copies stream too. nil (`tmpab12cd34`): spool only, upload at rename.
    var streamTarget: (name: String, kind: LoRAFileKind)? {
        switch role {
        case .lora(let kind): return (name, kind)
        case .staging: return Self.likelyTarget(ofStaging: name)
        }
    }

    static func likelyTarget(ofStaging name: String) -> (name: String, kind: LoRAFileKind)? {
        let base = name.hasPrefix(".") ? String(name.dropFirst()) : name
        for kind in LoRAFileKind.allCases {
            guard let range = base.range(of: kind.fileExtension, options: .caseInsensitive) else { continue }
            let candidate = String(base[..<range.upperBound])
            if case .lora = LoRANameRules.classify(candidate) { return (candidate, kind) }
        }
        return nil
    }

    /// Drops the in-progress upload, if any (lock held). After a failure talking
    /// to S3 the abort runs in the background, so the `close()` that reports the
    /// failure does not wait on the same S3 again.
    func abandonUpload(inBackground: Bool = false) {
        if inBackground { upload?.abortInBackground() } else { upload?.abort() }
        upload = nil
        uploadKind = nil
    }

    /// Forgets the prepared upload and deletes its object in the background (lock held).
    func dropPrepared() {
        guard let prepared else { return }
        self.prepared = nil
        services.deleteObjects(of: prepared)
    }

    /// Records a sticky failure (lock held), aborts the upload, and returns it for throwing.
    func fail(_ failure: FSError.Failure, abortInBackground: Bool = false) -> FSError {
        fail(FSError(failure), abortInBackground: abortInBackground)
    }

    /// - Parameter abortInBackground: after a failure talking to S3 (see `abandonUpload`).
    func fail(_ error: FSError, abortInBackground: Bool = false) -> FSError {
        failure = services.report(error)
        abandonUpload(inBackground: abortInBackground)
        return error
    }
}
