import LoRAFormats
import Platform

/// The local copy of a file being written. It is unlinked as soon as it is
/// created, so a crash (even `kill -9`) leaves nothing behind on disk.
///
/// Writes land here first (at any offset); uploads and validators read back from
/// it, so memory stays bounded whatever the file size. Failures are
/// ``SystemError``s (ENOSPC stays recognisable); the filesystem maps them.
final class SpoolFile: Sendable {
    private let file: AnonymousFile

    init(directory: String) throws(SystemError) {
        file = try AnonymousFile(directory: directory, prefix: "spool-")
    }

    /// Writes all of `buffer` at `offset`.
    func write(at offset: UInt64, _ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        try file.write(at: offset, buffer)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns how many (fewer only at end of file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try file.read(at: offset, into: buffer)
    }

    func read(at offset: UInt64, count: Int) throws(SystemError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(SystemError) {
                initialized = try file.read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Sets the size (the spool of a truncated or preallocated file).
    func truncate(to size: UInt64) throws(SystemError) {
        try file.truncate(to: size)
    }

    /// A view of the first `size` bytes, for the validators.
    func source(size: UInt64) -> some ByteSource { SpoolSource(spool: self, size: size) }
}

private struct SpoolSource: ByteSource {
    let spool: SpoolFile
    let size: UInt64
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset < size else { return [] }
        return try spool.read(at: offset, count: Int(min(UInt64(count), size - offset)))
    }
}
