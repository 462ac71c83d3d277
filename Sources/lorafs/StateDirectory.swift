import ArgumentParser
import Foundation
import LoRAFSCore
import Platform

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

    /// Creates the state directory (0700) and makes it and the files an earlier
    /// version left in it private; files created from now on are 0600.
    static func prepare(_ directory: String) throws {
        PrivateFiles.restrictNewFiles()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try PrivateFiles.restrict(directory, isDirectory: true)
        for suffix in ["", "-wal", "-shm"] { try PrivateFiles.restrict(catalogPath(directory) + suffix, isDirectory: false) }
        try PrivateFiles.restrict(logPath(directory), isDirectory: false)
        try PrivateFiles.restrict(directory + "/spool", isDirectory: true)
    }
    static func logPath(_ directory: String) -> String { directory + "/lorafs.log" }
}

/// `--workspace`, `--state-dir` and `--catalog`, shared by `mount`, `ls` and `fsck`.
struct WorkspaceSelection: ParsableArguments {
    @Option(help: "The workspace: its objects live under workspaces/NAME/ in the bucket.")
    var workspace = "default"

    @Option(name: .customLong("state-dir"), help: "Catalog, spool and log (default: $XDG_STATE_HOME/lorafs/WORKSPACE).")
    var stateDir: String?

    @Option(help: ArgumentHelp(
        "The catalog: sqlite:PATH (default STATE_DIR/catalog.sqlite) or postgresql://USER@HOST/DATABASE, shared by a team's mounts.",
        valueName: "URL"))
    var catalog: String?

    func validate() throws {
        do { try WorkspaceOptions.validate(workspace: workspace) } catch { throw ValidationError("\(error)") }
        _ = try catalogLocation()
    }

    /// The catalog this selection names.
    func catalogLocation() throws -> CatalogLocation { try CatalogLocation(parsing: catalog, stateDirectory: directory) }

    /// The state directory this selection names.
    var directory: String { StateDirectory.path(explicit: stateDir, workspace: workspace) }
}
