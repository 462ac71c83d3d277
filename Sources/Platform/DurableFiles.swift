import Glibc

/// Small state files that must survive a crash whole: written beside their
/// place, flushed to disk, then renamed over it, and the folder flushed, so a
/// reader after a power cut finds the old file or the new one, never half of one.
public enum DurableFiles {
    /// Replaces `path` with `bytes` durably (mode 0600).
    ///
    /// The corresponding C functions are `open`, `write`, `fsync`, `rename`.
    public static func write(_ bytes: [UInt8], to path: String) throws(SystemError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError.current("open", path: temporary) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let error = SystemError.current("write", path: temporary)
                close(fd)
                throw error
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            let error = SystemError.current("fsync", path: temporary)
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw SystemError.current("rename", path: path) }
        try syncFolder(of: path)
    }

    /// Removes `path` durably; a missing file is fine.
    public static func remove(_ path: String) throws(SystemError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemError.current("unlink", path: path) }
        try syncFolder(of: path)
    }

    private static func syncFolder(of path: String) throws(SystemError) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError.current("open", path: folder) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError.current("fsync", path: folder) }
    }
}
