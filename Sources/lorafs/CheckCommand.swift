import ArgumentParser
import Catalog
import Foundation
import Logging
import LoRAFSCore
import SQLiteCatalog

/// `lorafs fsck`: compare the catalog with the bucket, and rebuild it from the bucket alone.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check a workspace's catalog against the bucket; --rebuild rewrites it from the bucket alone.",
        discussion: """
            Reads every LoRA object and manifest under workspaces/WORKSPACE/ and reports rows the catalog lacks,
            rows whose object is gone, rows that differ, and objects nothing names. Run it while the workspace
            is not mounted. Exits 0 when the catalog matches the bucket (or was rebuilt) and nothing else is
            wrong, 2 when it found a problem that remains (rows that differ without --rebuild, orphaned objects,
            stale manifests), 1 when the check itself failed. --collect deletes orphaned objects and stale
            manifests older than --grace (default 1 h). After --rebuild of a state directory's SQLite catalog, the
            next mount applies the workspace's change log over it (a LoRA removed within the delete delay still
            has its manifest), and adds the LoRAs only the manifests know to the log.
            """)

    @OptionGroup var s3: BucketSelection
    @OptionGroup var selection: WorkspaceSelection

    @Flag(help: "Replace the catalog's LoRA rows with what the bucket says (jobs are kept).")
    var rebuild = false

    @Flag(help: "Delete orphaned objects and stale manifests (left by a crash or a failed delete) older than --grace.")
    var collect = false

    @Option(help: "With --collect: leave objects younger than this many seconds (an upload a live mount may be recording).")
    var grace = 3600.0

    func run() throws {
        var logger = Logger(label: "lorafs")
        logger.logLevel = .warning
        let client = try s3.connect(logger: logger)
        try StateDirectory.prepare(selection.directory)
        let catalog = try selection.catalogLocation().open(workspace: selection.workspace)
        let report = try CatalogCheck(store: S3ObjectStore(client: client), workspace: selection.workspace)
            .run(catalog: catalog, rebuild: rebuild, collect: collect, grace: grace)
        print("workspace \(selection.workspace): \(report.expected.count) LoRA(s) in the bucket")
        for (label, names) in [("missing from the catalog", report.missingRows), ("in the catalog, gone from the bucket", report.extraRows),
                               ("different in the catalog", report.mismatchedRows), ("orphaned objects (left in place)", report.orphans),
                               ("stale manifests", report.staleManifests)] where !names.isEmpty {
            print("\(label): \(names.count)")
            for name in names { print("  \(name)") }
        }
        if rebuild {
            print("catalog rebuilt: \(report.expected.count) row(s)")
            if !catalog.isShared {
                // Manifests do not tell the order of changes: the workspace's log does.
                try CatalogCheck.markRebuilt(stateDirectory: selection.directory)
                print("the next mount applies the workspace's change log over it")
            }
        } else if report.isConsistent {
            print("catalog matches the bucket")
        } else {
            print("run with --rebuild to rewrite the catalog from the bucket")
        }
        if collect { print("collected: \(report.collected.count)") }
        // What remains wrong after this run: scripts see it in the exit status.
        if !(rebuild || report.isConsistent) || !report.leftovers.isEmpty {
            throw ExitCode(2)
        }
    }
}
