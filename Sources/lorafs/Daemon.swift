import ArgumentParser
import Foundation
import Glibc

/// Detaching: the command starts itself again with `--foreground` in a new
/// session (logging to the state directory), waits until the mount is live, and
/// exits 0; or prints the daemon's error and exits 1 if it never mounts.
///
/// A fresh process (`posix_spawn`) rather than `fork`: forking a process that
/// may already run threads is unsafe.
enum Daemon {
    static func start(mountpoint: String, logPath: String) throws {
        let logStart = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? UInt64) ?? 0
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let arguments = [executable] + Array(CommandLine.arguments.dropFirst()) + ["--foreground"]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID: no controlling terminal

        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, &cArguments, environ)
        guard rc == 0 else { throw ValidationError("cannot start the daemon: \(String(cString: strerror(rc)))") }

        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if MountTable.isMounted(mountpoint) {
                print("lorafs: mounted on \(mountpoint) (pid \(pid), log \(logPath))")
                return
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                printLog(from: logStart, path: logPath)
                throw ExitCode(1)
            }
            usleep(20_000)
        }
        kill(pid, SIGTERM)
        printLog(from: logStart, path: logPath)
        throw ValidationError("the mount did not appear within 120 s")
    }

    /// Shows the user what the daemon logged before it gave up.
    private static func printLog(from offset: UInt64, path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        FileHandle.standardError.write(Data(text.utf8))
    }
}
