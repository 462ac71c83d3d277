import ArgumentParser
import Catalog
import Foundation

/// `lorafs catalog`: move a workspace's catalog between engines.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Manage a workspace's catalog.", subcommands: [Migrate.self])

    /// `lorafs catalog migrate --from sqlite:PATH --to postgresql://…` (and back).
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a workspace's catalog (LoRAs and jobs) from one engine to another, and check that nothing was lost.",
            discussion: """
                Run it while no mount uses either catalog. The target must hold no rows of the workspace
                unless --replace is given. Exits 0 once the target reads back exactly the source's rows,
                1 otherwise.

                  lorafs catalog migrate --workspace alice --from sqlite:~/.local/state/lorafs/alice/catalog.sqlite \\
                      --to postgresql://alice@db.example/lorafs
                """)

        @Option(help: ArgumentHelp("The catalog to read: sqlite:PATH or postgresql://USER@HOST/DATABASE.", valueName: "URL"))
        var from: String

        @Option(help: ArgumentHelp("The catalog to write: sqlite:PATH or postgresql://USER@HOST/DATABASE.", valueName: "URL"))
        var to: String

        @Option(help: "The workspace (a PostgreSQL catalog holds many).")
        var workspace = "default"

        @Flag(help: "Replace the target's rows of the workspace instead of refusing a target that has some.")
        var replace = false

        func run() throws {
            let sourceLocation = try CatalogLocation(parsing: from, stateDirectory: "/")
            let targetLocation = try CatalogLocation(parsing: to, stateDirectory: "/")
            guard sourceLocation != targetLocation else { throw ValidationError("--from and --to name the same catalog") }
            if case .sqlite(let path) = sourceLocation, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("no catalog at \(path)")
            }
            let source = try sourceLocation.open(workspace: workspace)
            let target = try targetLocation.open(workspace: workspace)
            let (loras, jobs) = (try source.allLoRAs(), try source.allJobs())
            let existingJobs = try target.allJobs()
            if !replace, !(try target.allLoRAs()).isEmpty || !existingJobs.isEmpty {
                throw ValidationError("\(targetLocation) already holds rows of workspace \(workspace); --replace to overwrite them")
            }
            try target.replaceAllLoRAs(with: loras)
            for job in existingJobs where !jobs.contains(where: { $0.name == job.name }) { try target.deleteJob(named: job.name) }
            for job in jobs {
                if existingJobs.contains(where: { $0.name == job.name }) { try target.updateJob(job) } else { try target.insertJob(job) }
            }
            // Nothing lost: the target reads back what the source holds, field for field.
            guard try target.allLoRAs() == loras, try target.allJobs() == jobs else {
                FileHandle.standardError.write(Data("lorafs: \(targetLocation) does not read back what \(sourceLocation) holds\n".utf8))
                throw ExitCode(1)
            }
            print("migrated workspace \(workspace): \(loras.count) LoRA(s), \(jobs.count) job(s) from \(sourceLocation) to \(targetLocation)")
        }
    }
}
