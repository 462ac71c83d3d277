/// A descriptor on a file being written: its writer's (from `create`, or an
/// `open` with O_TRUNC) or a reader's before the commit.
final class PendingFileHandle: OpenFile {
    let file: PendingFile
    let isWriter: Bool
    private let library: LoRALibrary

    init(_ file: PendingFile, library: LoRALibrary, isWriter: Bool) {
        self.file = file
        self.library = library
        self.isWriter = isWriter
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        try file.read(at: offset, into: buffer)
    }

    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        guard isWriter else { throw FSError(.notOpenForWriting) }
        return try file.write(at: offset, bytes: bytes)
    }

    func flush(caller: ProcessIdentity?) throws(FSError) {
        guard isWriter else { return }
        try library.flush(file, caller: caller)
    }

    func allocate(offset: UInt64, length: UInt64, keepSize: Bool) throws(FSError) {
        guard isWriter else { throw FSError(.notOpenForWriting) }
        try file.allocate(offset: offset, length: length, keepSize: keepSize)
    }

    func release() { library.release(file) }
}
