import Glibc

/// A failed C or system call: its `errno`, the function's name and, when there
/// is one, the path it was given.
///
/// The message is built from `strerror` only when asked for, so throwing stays
/// cheap on hot paths (a spool write that hits ENOSPC on every retry).
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value the call reported (or returned, for `posix_spawn`).
    public let errno: Int32
    /// The C function that failed, e.g. `pwrite`.
    public let call: String
    /// The file the call was about, if any.
    public let path: String?

    /// Creates an error from an explicit error number.
    public init(errno: Int32, call: String, path: String? = nil) {
        self.errno = errno
        self.call = call
        self.path = path
    }

    /// The error the C library just left in `errno` for `call`.
    public static func current(_ call: String, path: String? = nil) -> SystemError {
        SystemError(errno: Glibc.errno, call: call, path: path)
    }

    /// `pwrite /tmp/x: No space left on device (errno 28)`.
    public var description: String {
        let subject = path.map { "\(call) \($0)" } ?? call
        return "\(subject): \(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// The disk (or the user's quota) is full: ENOSPC or EDQUOT.
    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT }
    /// The file or directory does not exist: ENOENT.
    public var isNotFound: Bool { errno == ENOENT }
    /// The call was interrupted by a signal and may be retried: EINTR.
    public var isInterrupted: Bool { errno == EINTR }
    /// The caller may not do this: EACCES or EPERM.
    public var isPermissionDenied: Bool { errno == EACCES || errno == EPERM }
}

/// Retries `body` while it fails with EINTR; other failures are thrown.
///
/// `body` returns the C result; `-1` means failure with the reason in `errno`.
@inline(__always)
func retryingOnInterrupt<T: FixedWidthInteger>(
    _ call: String, path: String? = nil, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = SystemError.current(call, path: path)
        if !error.isInterrupted { throw error }
    }
}
