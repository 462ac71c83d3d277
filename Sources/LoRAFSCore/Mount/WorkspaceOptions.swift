import Foundation

/// What a mount is configured with; validated before anything is mounted.
public struct WorkspaceOptions: Sendable {
    /// The hard ceiling of a single LoRA: 5 GiB, S3's single-object PUT limit.
    public static let absoluteMaxFileSize: UInt64 = 5 * 1024 * 1024 * 1024

    public var workspace: String
    public var bucket: String
    /// Where the catalog and the spool live.
    public var stateDirectory: String
    public var maxFileSize: UInt64
    /// Multipart part size. 8 MiB: 640 parts for 5 GiB, well under S3's 10,000.
    public var partSize: UInt64 = 8 << 20
    /// Parts in memory at once, for all the files being uploaded together: 8 x 8 MiB.
    public var maxPartsInFlight = 8
    /// How long a closed staging file (`.x.safetensors.AbC123`) waits for its rename.
    public var stagingGrace: TimeInterval = 120
    /// Lifetime of the presigned LoRA URLs sent with a job (queues and provider
    /// retries can delay the download for hours): 3 hours, at most 7 days.
    public var presignExpiry = 3 * 3600
    public static let maxPresignExpiry = 7 * 24 * 3600
    /// The longest S3 may go without answering: each S3 operation (retries
    /// included) ends by then, and a `close()` fails with EIO once no part of its
    /// upload finished for this long (`--s3-timeout`).
    public var s3Timeout: TimeInterval = 120
    /// The fastest a job's status is polled; idle jobs back off to 30 s.
    public var pollInterval: TimeInterval = 2
    /// How long a mount's claim to poll a job lasts unless renewed (every poll renews it; at
    /// most 30 s apart): with a shared catalog, a mount that vanished hands its jobs to
    /// another after this. A mount that unmounts hands them on at once.
    public var jobLease: TimeInterval = 60
    /// Seconds between refreshes from the bucket's change log (`--refresh-interval`; 0: only at
    /// mount and on `touch .lorafs/refresh`).
    public var refreshInterval: TimeInterval = 30
    /// How long an object no name points at any more (replaced, removed) stays in the bucket, so
    /// that other mounts still reading it finish (`--delete-delay`).
    public var deleteDelay: TimeInterval = 600
    /// How late a change-log entry may land and still be applied in order: above the longest
    /// PUT (the s3-timeout) plus the clock difference between machines. Entries held back
    /// longer are given a fresh key before they go.
    public var logWindow: TimeInterval = 600
    /// A snapshot of the workspace after this many log entries; older entries are then deleted.
    public var logSnapshotEvery = 1000
    /// Log entries are kept at least this long (a mount away for more than half of it starts
    /// again from the latest snapshot).
    public var logRetention: TimeInterval = 86400
    /// A human description of the endpoint for `.lorafs/status` (never credentials).
    public var endpointDescription = ""

    public init(workspace: String, bucket: String, stateDirectory: String,
                maxFileSize: UInt64 = WorkspaceOptions.absoluteMaxFileSize) throws {
        try Self.validate(workspace: workspace)
        guard maxFileSize > 0, maxFileSize <= Self.absoluteMaxFileSize else {
            throw FSError(.invalidOption("--max-size must be between 1 and \(Self.absoluteMaxFileSize) bytes"))
        }
        self.workspace = workspace
        self.bucket = bucket
        self.stateDirectory = stateDirectory
        self.maxFileSize = maxFileSize
    }

    /// Where this workspace's objects live in the bucket.
    public var layout: ObjectLayout { ObjectLayout(workspace: workspace) }

    /// Workspace names become key prefixes: no name can reach another workspace's keys.
    public static func validate(workspace: String) throws {
        guard ObjectLayout.isKeySegment(workspace, maxLength: 64) else {
            throw FSError(.invalidOption("workspace name \"\(workspace)\" must be \(ObjectLayout.keySegmentRule(maxLength: 64))"))
        }
    }
}
