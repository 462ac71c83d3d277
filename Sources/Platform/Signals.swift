import Glibc

/// Signals a process sends itself.
public enum Signals {
    /// Ends this process at once, as `kill -9` from outside would: no cleanup,
    /// no unmount, no flushed buffers (crash tests).
    ///
    /// The corresponding C function is `kill`.
    public static func killSelf() -> Never {
        _ = kill(getpid(), SIGKILL)
        while true { pause() }
    }

    /// Ends this process once its work is done and its output flushed, without
    /// `exit`'s handlers: worker threads still parked (transfer pools, a logger)
    /// cannot race the C library's teardown of stdio and OpenSSL under them.
    ///
    /// The corresponding C functions are `fflush` and `_exit`.
    public static func finish(status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }
}
