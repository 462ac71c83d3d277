import ArgumentParser
import Foundation
import Platform

/// `lorafs unmount`: the same as `fusermount3 -u`; the daemon then exits.
struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unmount", abstract: "Unmount a lorafs mount.")

    @Argument(help: "The mount point.")
    var mountpoint: String

    func run() throws {
        let path = StateDirectory.absolute(mountpoint)
        guard MountTable.isMounted(path) else {
            throw ValidationError("\(path) is not a lorafs mount")
        }
        let status = try Subprocess.run("/usr/bin/fusermount3", ["-u", path])
        guard status == 0 else { throw ExitCode(status) }
        // Wait for the daemon to leave, so scripts can remount at once.
        for _ in 0..<100 where MountTable.isMounted(path) { Thread.sleep(forTimeInterval: 0.05) }
    }
}

/// Mounts as the kernel lists them in `/proc/self/mountinfo`.
enum MountTable {
    /// Whether `path` is exactly a FUSE mount point of lorafs.
    static func isMounted(_ path: String) -> Bool { ProcFS.isFUSEMountPoint(path) }
}

enum Subprocess {
    /// Runs a program and returns its exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
