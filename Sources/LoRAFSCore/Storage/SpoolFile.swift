import Foundation
import LoRAFormats

/// The local copy of a file being written. It is unlinked as soon as it is
/// created, so a crash (even `kill -9`) leaves nothing behind on disk.
///
/// Writes land here first (at any offset); uploads and validators read back from
/// it, so memory stays bounded whatever the file size.
final class SpoolFile: @unchecked Sendable {
    private let fd: Int32

    init(directory: String) throws {
        let path = directory + "/spool-" + UUID().uuidString
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw FSError(Glibc.errno, "cannot create a spool file in \(directory): \(String(cString: strerror(Glibc.errno)))")
        }
        unlink(path)
        self.fd = fd
    }

    deinit { close(fd) }

    /// The corresponding C function is `pwrite`.
    func write(at offset: UInt64, _ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FSError(errno == ENOSPC ? ENOSPC : EIO, "spool write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns how many (fewer only at end of file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FSError(EIO, "spool read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var failure: (any Error)?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                initialized = try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// The corresponding C function is `ftruncate`.
    func truncate(to size: UInt64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw FSError(EIO, "spool truncate failed: \(String(cString: strerror(errno)))")
        }
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
