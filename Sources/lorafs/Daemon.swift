import ArgumentParser
import Foundation
import Glibc
import Platform

/// Detaching: the command starts itself again with `--foreground` in a new
/// session (logging to the state directory), waits until the mount is live, and
/// exits 0; or prints the daemon's error and exits 1 if it never mounts.
///
/// A fresh process (``ChildProcess/spawn(_:arguments:environment:logPath:)``)
/// rather than `fork`: forking a process that may already run threads is unsafe.
enum Daemon {
    static func start(mountpoint: String, logPath: String) throws {
        let logStart = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? UInt64) ?? 0
        let executable = ProcFS.executablePath() ?? CommandLine.arguments[0]
        let arguments = Array(CommandLine.arguments.dropFirst()) + ["--foreground"]

        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable, arguments: arguments, logPath: logPath)
        } catch {
            throw ValidationError("cannot start the daemon: \(error)")
        }

        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if MountTable.isMounted(mountpoint) {
                print("lorafs: mounted on \(mountpoint) (pid \(child.id), log \(logPath))")
                return
            }
            if (try? child.termination()) != nil {
                printLog(from: logStart, path: logPath)
                throw ExitCode(1)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try? child.send(SIGTERM)
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
