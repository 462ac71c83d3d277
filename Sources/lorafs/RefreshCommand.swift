import ArgumentParser
import Foundation

/// `lorafs refresh`: the mount applies what other mounts changed, now. The same as
/// `touch MOUNTPOINT/.lorafs/refresh`, then prints what the refresh did.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Refresh a mount from the bucket now (what other mounts changed).",
        discussion: "Exits 1 if the mount could not read the bucket's change log.")

    @Argument(help: "The mount point.")
    var mountpoint: String

    func run() throws {
        let path = StateDirectory.absolute(mountpoint)
        guard MountTable.isMounted(path) else { throw ValidationError("\(path) is not a lorafs mount") }
        let trigger = path + "/.lorafs/refresh"
        // The open runs the refresh; it returns when the refresh is done.
        guard let handle = FileHandle(forWritingAtPath: trigger) else {
            throw ValidationError("cannot open \(trigger) for writing")
        }
        try handle.close()
        let report = String(decoding: FileManager.default.contents(atPath: trigger) ?? Data(), as: UTF8.self)
        print(report, terminator: "")
        if report.contains("last_refresh_error:") { throw ExitCode(1) }
    }
}
