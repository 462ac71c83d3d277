import ArgumentParser
import Catalog
import FUSEAdapter
import GenerationBackends
import Foundation
import Logging
import LoRAFSCore
import Platform
import S3
import SQLiteCatalog

/// `lorafs mount`: serve a workspace at a mount point.
struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount a workspace.",
        discussion: """
            Credentials come from the standard AWS sources: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
            AWS_SESSION_TOKEN, then the profile (AWS_PROFILE, --profile) in ~/.aws/credentials and ~/.aws/config.
            Without --foreground the daemon detaches once the mount is ready and logs to STATE_DIR/lorafs.log.
            """)

    @Argument(help: "An existing, empty directory to mount on.")
    var mountpoint: String

    @OptionGroup var s3: BucketSelection
    var bucket: String { s3.bucket }
    var allowHTTP: Bool { s3.allowHTTP }

    @OptionGroup var selection: WorkspaceSelection
    var workspace: String { selection.workspace }

    @Flag(help: "Stay in the foreground and log to stderr.")
    var foreground = false

    @Option(name: .customLong("max-size"), help: "The largest LoRA accepted, in bytes (at most and by default 5368709120).")
    var maxSize: UInt64 = WorkspaceOptions.absoluteMaxFileSize

    @Option(name: .customShort("o"), help: "FUSE mount options, comma-separated (e.g. allow_other).")
    var fuseOptions: [String] = []

    @Option(help: ArgumentHelp(
        "Where generation jobs go: fal:URL, runpod:URL or local:URL (keys from FAL_KEY / RUNPOD_API_KEY).",
        valueName: "KIND:URL"))
    var generator: String?

    @Option(name: .customLong("presign-expiry"), help: "Lifetime of the LoRA URLs sent with a job, in seconds (default 3 h, at most 7 days).")
    var presignExpiry = 3 * 3600

    @Option(name: .customLong("s3-timeout"), help: ArgumentHelp(
        "The longest S3 may go without answering, in seconds: each S3 operation (retries included) ends by then, and a copy whose upload made no progress for this long fails its close() with EIO.",
        valueName: "SECONDS"))
    var s3Timeout = 120.0

    @Option(name: .customLong("poll-interval"), help: "Seconds between polls of an active job (backs off to 30 s while nothing changes).")
    var pollInterval = 2.0

    @Option(name: .customLong("refresh-interval"), help: ArgumentHelp(
        "Seconds between refreshes from the bucket (what other mounts of the workspace changed); 0: only at mount and on `lorafs refresh`.",
        valueName: "SECONDS"))
    var refreshInterval = 30.0

    @Option(name: .customLong("delete-delay"), help: ArgumentHelp(
        "Seconds an object replaced or removed stays in the bucket before it is deleted, so other mounts reading it finish (default 600).",
        valueName: "SECONDS"))
    var deleteDelay = 600.0

    func validate() throws {
        do {
            _ = try WorkspaceOptions(workspace: workspace, bucket: bucket, stateDirectory: "/", maxFileSize: maxSize)
            if let generator { _ = try BackendAddress(parsing: generator, allowHTTP: allowHTTP) }
        } catch { throw ValidationError("\(error)") }
        guard (1...WorkspaceOptions.maxPresignExpiry).contains(presignExpiry) else {
            throw ValidationError("--presign-expiry must be between 1 and \(WorkspaceOptions.maxPresignExpiry) seconds (7 days)")
        }
        guard pollInterval > 0, pollInterval <= 60 else { throw ValidationError("--poll-interval must be in (0, 60] seconds") }
        guard (2...3600).contains(s3Timeout) else { throw ValidationError("--s3-timeout must be between 2 and 3600 seconds") }
        guard refreshInterval == 0 || (0.5...86400).contains(refreshInterval) else {
            throw ValidationError("--refresh-interval must be 0 (off) or between 0.5 and 86400 seconds")
        }
        guard (0...30 * 86400).contains(deleteDelay) else { throw ValidationError("--delete-delay must be between 0 and 2592000 seconds (30 days)") }
    }

    func run() throws {
        let mountpoint = StateDirectory.absolute(self.mountpoint)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: mountpoint, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("mount point \(mountpoint) is not an existing directory")
        }
        if MountTable.isMounted(mountpoint) { throw ValidationError("\(mountpoint) is already mounted") }
        let stateDirectory = selection.directory
        try StateDirectory.prepare(stateDirectory)
        if foreground {
            try serve(mountpoint: mountpoint, stateDirectory: stateDirectory)
        } else {
            try Daemon.start(mountpoint: mountpoint, logPath: StateDirectory.logPath(stateDirectory))
        }
    }

    /// Connects to S3, opens the catalog and serves the mount until it is unmounted.
    private func serve(mountpoint: String, stateDirectory: String) throws {
        MemoryTuning.apply()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LORAFS_LOG_LEVEL"] ?? "") ?? .info
            return handler
        }
        var logger = Logger(label: "lorafs")
        logger[metadataKey: "workspace"] = "\(workspace)"
        do {
            let client = try s3.connect(logger: logger, retryPolicy: S3RetryPolicy(deadline: s3Timeout))
            var options = try WorkspaceOptions(workspace: workspace, bucket: bucket, stateDirectory: stateDirectory, maxFileSize: maxSize)
            options.endpointDescription = client.configuration.endpoint.absoluteString
            let environment = ProcessInfo.processInfo.environment
            if let mib = environment["LORAFS_PART_SIZE_MIB"].flatMap(UInt64.init), (5...512).contains(mib) {
                options.partSize = mib << 20
            }
            if let parts = environment["LORAFS_PARTS_IN_FLIGHT"].flatMap(Int.init), (1...64).contains(parts) {
                options.maxPartsInFlight = parts
            }
            options.presignExpiry = presignExpiry
            options.pollInterval = pollInterval
            options.s3Timeout = s3Timeout
            options.refreshInterval = refreshInterval
            options.deleteDelay = deleteDelay
            // The log window must outlast the longest PUT of an entry (the s3-timeout).
            options.logWindow = max(options.logWindow, 4 * s3Timeout)
            let backend = try generator.map { try BackendAddress(parsing: $0, allowHTTP: allowHTTP).makeBackend() }
            let location = try selection.catalogLocation()
            let catalog = try location.open(workspace: workspace)
            logger.info("catalog: \(location)")
            let filesystem = try WorkspaceFilesystem(
                options: options, store: S3ObjectStore(client: client), catalog: catalog, logger: logger, backend: backend)
            let aborted = try filesystem.abortStaleUploads()
            if aborted > 0 { logger.notice("aborted \(aborted) multipart upload(s) left by an earlier run") }

            let fuseOptions = ["fsname=lorafs", "subtype=lorafs", "auto_unmount"] + self.fuseOptions
            let mount = FUSEMount(filesystem: filesystem, mountpoint: mountpoint, options: fuseOptions, logger: logger)
            let status = try mount.run {
                logger.notice("mounted \(bucket)/\(options.layout.prefix) on \(mountpoint)")
            }
            logger.notice("unmounted \(mountpoint)")
            // Everything is stored and every thread of ours has stopped or is parked: end here.
            Signals.finish(status: status != 0 && status != 15 ? 1 : 0)
        } catch let error as ExitCode {
            throw error
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
