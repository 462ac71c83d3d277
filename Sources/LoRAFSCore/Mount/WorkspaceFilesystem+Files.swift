extension WorkspaceFilesystem {
    /// `read`: from S3 (stored LoRAs), the spool (files being written) or memory (control files).
    public func read(handle: UInt64, offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        try handles.file(handle).read(at: offset, into: buffer)
    }

    /// `write`: one handle lookup, then the file's own lock.
    public func write(handle: UInt64, offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        try handles.file(handle).write(at: offset, bytes: bytes)
    }

    /// `flush` (every `close()` of every duplicated descriptor): what `close()` returns.
    public func flush(handle: UInt64, caller: ProcessIdentity? = nil) throws(FSError) {
        guard let file = handles.lookup(handle) else { return }
        try file.flush(caller: caller)
    }

    /// `fsync`: the data is durable once it is in S3, which is what `close()` does;
    /// an fsync in the middle of a copy only has the spool to flush.
    public func fsync(handle: UInt64) throws(FSError) {
        try handles.file(handle).fsync()
    }

    /// `fallocate`: reserves spool space; past the limit it fails at once with EFBIG.
    public func allocate(handle: UInt64, offset: UInt64, length: UInt64, keepSize: Bool) throws(FSError) {
        try handles.file(handle).allocate(offset: offset, length: length, keepSize: keepSize)
    }

    /// Whether reads of `handle` must bypass the kernel's page cache (computed files).
    public func isVirtual(handle: UInt64) -> Bool { handles.lookup(handle)?.isVirtual ?? false }

    /// `release`: the handle's last use.
    public func release(handle: UInt64) {
        handles.remove(handle)?.release()
    }
}
