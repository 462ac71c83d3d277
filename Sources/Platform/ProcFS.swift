import CPlatform
import Glibc

/// Readers of the kernel's `/proc` files.
public enum ProcFS {
    /// The calling thread's kernel id.
    ///
    /// The corresponding C function is `gettid`.
    public static func currentThreadID() -> Int32 { lorafs_gettid() }

    /// The running program's own file (`/proc/self/exe`), to start it again; nil if unreadable.
    /// The corresponding C function is `readlink`.
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The thread group (process) id of thread `threadID`, from the `Tgid:` line
    /// of `/proc/TID/status`; nil when the thread no longer exists.
    public static func threadGroupID(ofThread threadID: Int32) -> Int32? {
        guard let status = try? readFile("/proc/\(threadID)/status") else { return nil }
        return threadGroupID(status: String(decoding: status, as: UTF8.self))
    }

    /// The `Tgid:` value of the text of a `/proc/TID/status` file.
    public static func threadGroupID(status: String) -> Int32? {
        for line in status.split(separator: "\n") where line.hasPrefix("Tgid:") {
            return Int32(line.dropFirst(5).trimmingWhitespace())
        }
        return nil
    }

    /// One line of `/proc/self/mountinfo` (see proc(5)).
    public struct Mount: Sendable, Equatable {
        /// Where it is mounted, with the kernel's octal escapes (`\040`) decoded.
        public var mountPoint: String
        /// The file system type after the ` - ` separator, e.g. `fuse.lorafs`.
        public var fileSystemType: String

        /// Whether it is a FUSE file system: `fuse`, `fuse.NAME` or `fuseblk`.
        public var isFUSE: Bool {
            fileSystemType == "fuse" || fileSystemType == "fuseblk" || fileSystemType.hasPrefix("fuse.")
        }
    }

    /// This process's mounts, from `/proc/self/mountinfo`.
    public static func mounts() throws(SystemError) -> [Mount] {
        parseMountInfo(String(decoding: try readFile("/proc/self/mountinfo"), as: UTF8.self))
    }

    /// Whether `path` (absolute, as the kernel prints it) is exactly a FUSE
    /// mount point; false when the table cannot be read.
    public static func isFUSEMountPoint(_ path: String) -> Bool {
        ((try? mounts()) ?? []).contains { $0.mountPoint == path && $0.isFUSE }
    }

    /// Parses the text of a mountinfo file; malformed lines are skipped.
    ///
    /// Field 5 is the mount point; the optional fields end at a lone `-`, which
    /// is followed by the file system type.
    public static func parseMountInfo(_ text: String) -> [Mount] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4, let dash = fields[5...].firstIndex(of: "-"), dash + 1 < fields.count else { return nil }
            return Mount(mountPoint: unescapeOctal(fields[4]), fileSystemType: String(fields[dash + 1]))
        }
    }

    /// Decodes the `\ooo` escapes the kernel writes for space, tab, newline and
    /// backslash in mountinfo paths.
    static func unescapeOctal(_ field: Substring) -> String {
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count, let value = octal(bytes[(i + 1)...(i + 3)]) {
                out.append(value)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard digits.count == 3 else { return nil }
        var value: UInt32 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + UInt32(d - UInt8(ascii: "0"))
        }
        return value <= 0xFF ? UInt8(value) : nil
    }

    /// The whole content of a (small, `/proc`) file.
    ///
    /// The corresponding C functions are `open` and `read`; `/proc` files have
    /// no size up front, so this reads until end of file.
    static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try retryingOnInterrupt("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var content: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try retryingOnInterrupt("read", path: path) {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if n == 0 { return content }
            content += chunk[0..<n]
        }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
