import Platform

/// The process behind a FUSE request. The kernel reports the calling thread's
/// id; a file's writer is identified by its thread group (the process), so a
/// multi-threaded writer is one writer. The lookup reads `/proc` and is done
/// only where it matters (create, flush, and files not yet committed).
public struct ProcessIdentity: Sendable {
    public let threadID: Int32

    public init(threadID: Int32) { self.threadID = threadID }

    /// The thread group of `threadID`; the id itself when the thread is gone
    /// (a killed writer's last flush).
    public var processID: Int32 { ProcFS.threadGroupID(ofThread: threadID) ?? threadID }
}
