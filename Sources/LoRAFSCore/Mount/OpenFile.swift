/// A file a subtree opened: what a FUSE file handle stands for. The router keeps
/// every open file of every subtree in one `HandleTable`; calls on a handle go
/// straight to its file, with no path lookup.
protocol OpenFile: AnyObject, Sendable {
    /// Content computed at open whose size may change: reads must bypass the page cache (`direct_io`).
    var isVirtual: Bool { get }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int
    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int
    /// Every `close()` of every duplicated descriptor; its error is what `close()` returns.
    func flush(caller: ProcessIdentity?) throws(FSError)
    func fsync() throws(FSError)
    func allocate(offset: UInt64, length: UInt64, keepSize: Bool) throws(FSError)
    /// The handle's last use (the kernel ignores any error here).
    func release()
}

extension OpenFile {
    var isVirtual: Bool { false }
    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int { throw FSError(.notOpenForWriting) }
    func flush(caller: ProcessIdentity?) throws(FSError) {}
    func fsync() throws(FSError) {}
    func allocate(offset: UInt64, length: UInt64, keepSize: Bool) throws(FSError) { throw FSError(.notOpenForWriting) }
    func release() {}
}

/// Bytes computed when the file was opened (`.lorafs/status`, `schema.json`, a job's status).
final class VirtualFile: OpenFile {
    let content: [UInt8]

    init(_ content: [UInt8]) { self.content = content }

    var isVirtual: Bool { true }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        Self.copy(content, from: offset, into: buffer)
    }

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
