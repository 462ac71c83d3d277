import Glibc

/// A read-write file with no name: created in a directory and unlinked at once,
/// so it disappears with its last descriptor, even after `kill -9`.
///
/// Offsets are explicit (`pread`/`pwrite`), so several threads may read and
/// write at once without sharing a file position.
public final class AnonymousFile: Sendable {
    /// The open descriptor; closed when the object goes away.
    public let descriptor: Int32

    /// Creates the file in `directory` with mode 0600 and unlinks it.
    ///
    /// The corresponding C functions are `open` (with `O_CREAT | O_EXCL |
    /// O_CLOEXEC`) and `unlink`.
    ///
    /// - Parameter prefix: the start of the short-lived name, for anyone
    ///   listing the directory in between.
    /// - Throws: ``SystemError`` from `open`, e.g. ENOENT for a missing directory.
    public init(directory: String, prefix: String = "spool-") throws(SystemError) {
        var generator = SystemRandomNumberGenerator()
        // O_EXCL refuses an existing name; a random 64-bit suffix all but never
        // collides, and a few retries cover the rest.
        var attempt = 0
        while true {
            let path = directory + "/" + prefix + String(getpid()) + "-" + String(generator.next() as UInt64, radix: 16)
            let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                unlink(path)
                descriptor = fd
                return
            }
            let error = SystemError.current("open", path: path)
            attempt += 1
            if error.isInterrupted || (error.errno == EEXIST && attempt < 8) { continue }
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Writes all of `buffer` at `offset`, retrying short writes and EINTR.
    ///
    /// The corresponding C function is `pwrite`.
    /// - Throws: ``SystemError``; ``SystemError/isNoSpace`` when the disk is full.
    public func write(at offset: UInt64, _ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = try retryingOnInterrupt("pwrite") {
                pwrite(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
            }
            done += n
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`, retrying short reads and
    /// EINTR; returns how many were read (fewer only at the end of the file).
    ///
    /// The corresponding C function is `pread`.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = try retryingOnInterrupt("pread") {
                pread(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Sets the file's size, cutting it or extending it with zeros.
    ///
    /// The corresponding C function is `ftruncate`.
    public func truncate(to size: UInt64) throws(SystemError) {
        _ = try retryingOnInterrupt("ftruncate") { ftruncate(descriptor, off_t(size)) }
    }

    /// The number of links to the file: 0 once it has been unlinked.
    ///
    /// The corresponding C function is `fstat`.
    public func linkCount() throws(SystemError) -> UInt64 {
        var info = stat()
        _ = try retryingOnInterrupt("fstat") { fstat(descriptor, &info) }
        return UInt64(info.st_nlink)
    }
}
