import CPlatform
import Glibc

/// A process started with `posix_spawn`, detached from the terminal.
///
/// A fresh process rather than `fork`: forking a process that may already run
/// threads is unsafe (only the forking thread survives, with its locks).
public struct ChildProcess: Sendable, Equatable {
    /// The child's process id.
    public let id: pid_t

    /// How a child ended.
    public enum Termination: Sendable, Equatable {
        /// It called `exit` with this status.
        case exited(Int32)
        /// It was killed by this signal.
        case signaled(Int32)
    }

    /// Wraps an existing child's id (for `waitpid` and `kill`).
    public init(id: pid_t) { self.id = id }

    /// Starts `executable` with standard input from `/dev/null`, standard
    /// output and error appended to `logPath` (created with mode 0600), in a
    /// new session (`setsid`), so it has no controlling terminal and outlives
    /// the caller's, and with no signal blocked or ignored.
    ///
    /// The corresponding C function is `posix_spawn`.
    /// - Parameters:
    ///   - arguments: the arguments after `argv[0]`, which is `executable`.
    ///   - environment: `NAME=value` strings; nil passes this process's environment.
    /// - Throws: ``SystemError`` with the error `posix_spawn` returned (glibc
    ///   reports a failing `exec` or log file `open` here too).
    public static func spawn(
        _ executable: String, arguments: [String], environment: [String]? = nil, logPath: String
    ) throws(SystemError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        var rc = posix_spawn_file_actions_init(&actions)
        guard rc == 0 else { throw SystemError(errno: rc, call: "posix_spawn_file_actions_init") }
        defer { posix_spawn_file_actions_destroy(&actions) }
        rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if rc == 0 { rc = posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600) }
        if rc == 0 { rc = posix_spawn_file_actions_adddup2(&actions, 1, 2) }
        guard rc == 0 else { throw SystemError(errno: rc, call: "posix_spawn_file_actions_addopen", path: logPath) }

        var attributes = posix_spawnattr_t()
        rc = posix_spawnattr_init(&attributes)
        guard rc == 0 else { throw SystemError(errno: rc, call: "posix_spawnattr_init") }
        defer { posix_spawnattr_destroy(&attributes) }
        // A fresh signal state: blocked and ignored signals would otherwise be
        // inherited across exec (e.g. a test runner's mask made SIGTERM a no-op).
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        rc = posix_spawnattr_setsigmask(&attributes, &none)
        if rc == 0 { rc = posix_spawnattr_setsigdefault(&attributes, &all) }
        let flags = lorafs_posix_spawn_setsid() | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF)
        if rc == 0 { rc = posix_spawnattr_setflags(&attributes, flags) }
        guard rc == 0 else { throw SystemError(errno: rc, call: "posix_spawnattr_setflags") }

        let argv = CStringArray([executable] + arguments)
        let envp = environment.map(CStringArray.init)
        var pid: pid_t = 0
        rc = argv.withPointers { argv in
            if let envp {
                return envp.withPointers { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            }
            return posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard rc == 0 else { throw SystemError(errno: rc, call: "posix_spawn", path: executable) }
        return ChildProcess(id: pid)
    }

    /// How the child ended, or nil while it still runs; reaps it once ended.
    ///
    /// The corresponding C function is `waitpid` with `WNOHANG`.
    public func termination() throws(SystemError) -> Termination? {
        var status: Int32 = 0
        let reaped = try retryingOnInterrupt("waitpid") { waitpid(id, &status, WNOHANG) }
        return reaped == id ? Self.termination(status: status) : nil
    }

    /// Blocks until the child ends, then reaps it.
    ///
    /// The corresponding C function is `waitpid`.
    public func waitForTermination() throws(SystemError) -> Termination {
        var status: Int32 = 0
        _ = try retryingOnInterrupt("waitpid") { waitpid(id, &status, 0) }
        return Self.termination(status: status)
    }

    /// Sends `signal` (e.g. `SIGTERM`) to the child.
    ///
    /// The corresponding C function is `kill`.
    public func send(_ signal: Int32) throws(SystemError) {
        _ = try retryingOnInterrupt("kill") { kill(id, signal) }
    }

    static func termination(status: Int32) -> Termination {
        lorafs_wifsignaled(status) != 0 ? .signaled(lorafs_wtermsig(status)) : .exited(lorafs_wexitstatus(status))
    }
}

/// A NULL-terminated `char *[]` that owns its strings, as `argv`/`envp` want.
private final class CStringArray {
    private var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) { pointers = strings.map { strdup($0) } + [nil] }

    deinit { pointers.forEach { free($0) } }

    func withPointers<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
