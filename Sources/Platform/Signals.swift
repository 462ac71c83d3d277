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
}
