import Foundation

/// Where a workspace keeps its catalog, spool and log:
/// `--state-dir`, else `$XDG_STATE_HOME/lorafs/WORKSPACE`, else `~/.local/state/lorafs/WORKSPACE`.
enum StateDirectory {
    static func path(explicit: String?, workspace: String) -> String {
        if let explicit { return absolute(explicit) }
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.local/state")
        return base + "/lorafs/" + workspace
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    static func catalogPath(_ directory: String) -> String { directory + "/catalog.sqlite" }
    static func logPath(_ directory: String) -> String { directory + "/lorafs.log" }
}
