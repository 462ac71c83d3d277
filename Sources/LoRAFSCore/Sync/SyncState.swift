import Catalog
import Foundation
import Platform

/// What a mount remembers of the log between runs (`STATE_DIR/sync.json`, 0600,
/// replaced durably): where its last refresh got to, the clock of its keys, the
/// changes of the last `window` (to apply late entries in key order, whatever
/// order they arrive in), and the objects waiting for their deferred delete.
struct SyncState: StoredJSON {
    struct PendingDelete: Codable, Equatable {
        var record: LoRARecord
        /// Seconds since 1970: not deleted before.
        var notBefore: Double
    }

    /// This state directory's mount ID, in every key it writes.
    var mount = LogKey.newMountID()
    /// The greatest key a refresh listed.
    var cursor: String?
    /// The hybrid clock: the greatest millisecond seen or used.
    var clock: Int64 = 0
    var sequence = 0
    /// Per name, the key of the change it shows, for the changes within the window.
    var revisions: [String: String] = [:]
    /// The entries within the window already applied (listed again by each refresh).
    var applied: Set<String> = []
    var deletes: [PendingDelete] = []
    /// Entries applied since the last snapshot this mount wrote or read.
    var sinceSnapshot = 0
    /// `fsck --rebuild` rewrote the catalog from the manifests: the next mount folds
    /// the log over it, as for a new state directory (`WorkspaceSync.bootstrap`).
    var foldLogAtMount = false

    init() {}

    /// Tolerant of a file an earlier version wrote: a field it lacks takes its default.
    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        mount = try values.decode(String.self, forKey: .mount)
        cursor = try values.decodeIfPresent(String.self, forKey: .cursor)
        clock = try values.decodeIfPresent(Int64.self, forKey: .clock) ?? 0
        sequence = try values.decodeIfPresent(Int.self, forKey: .sequence) ?? 0
        revisions = try values.decodeIfPresent([String: String].self, forKey: .revisions) ?? [:]
        applied = try values.decodeIfPresent(Set<String>.self, forKey: .applied) ?? []
        deletes = try values.decodeIfPresent([PendingDelete].self, forKey: .deletes) ?? []
        sinceSnapshot = try values.decodeIfPresent(Int.self, forKey: .sinceSnapshot) ?? 0
        foldLogAtMount = try values.decodeIfPresent(Bool.self, forKey: .foldLogAtMount) ?? false
    }

    /// After `fsck --rebuild` of a state directory's catalog: the manifests it was
    /// rebuilt from say nothing of the order of changes (a LoRA removed a moment ago
    /// still has its manifest until its deferred delete), so the next mount makes
    /// the log's state of every name it mentions win, as a new state directory
    /// would, and adds what only the manifests know to the log. Nothing to do
    /// without a state file: that mount does so anyway.
    static func markCatalogRebuilt(stateDirectory: String) throws {
        let path = stateDirectory + "/sync.json"
        guard var state = try load(from: path) else { return }
        state.foldLogAtMount = true
        try state.save(to: path)
    }

    /// After loading: the state is saved lazily (`WorkspaceSync.stateChanged`), so keys
    /// issued since the last save may be missing from it. The outbox holds the ones not
    /// yet published; the sequence also jumps by more than a second's worth of changes,
    /// so no key is ever issued twice by this state directory.
    mutating func resumeKeys(after pending: [LogKey]) {
        for key in pending where key.mount == mount {
            clock = max(clock, key.milliseconds)
            sequence = max(sequence, key.sequence)
        }
        sequence += Self.sequenceJumpAtLoad
        if sequence > 90_000_000 {
            // Eight digits wide: start again at 0 past every millisecond used.
            sequence = 0
            clock = max(clock, Int64(Date().timeIntervalSince1970 * 1000)) + 1000
        }
    }

    static let sequenceJumpAtLoad = 10_000

    /// Forgets what is older than the window before the cursor: an entry older
    /// than that is never listed again, so none of it can matter.
    mutating func prune(windowMilliseconds: Int64) {
        guard let cursor, let key = LogKey(cursor) else { return }
        let floor = LogKey.floor(key.milliseconds - windowMilliseconds)
        applied = applied.filter { $0 > floor }
        revisions = revisions.filter { $0.value > floor }
    }

    static func load(from path: String) throws -> SyncState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try decode([UInt8](data))
    }

    func save(to path: String) throws {
        try DurableFiles.write(try encoded(), to: path)
    }
}

/// Changes made here and not yet in the bucket's log (`STATE_DIR/outbox/KEY.json`):
/// written durably before the catalog transaction they describe, removed once
/// the log has them. A crash between leaves an entry that is published at the
/// next mount and applied there like any other (the catalog then agrees with it).
struct Outbox {
    let folder: String

    init(folder: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    private func path(_ key: LogKey) -> String { folder + "/" + key.description + ".json" }

    func add(_ entry: LogEntry, as key: LogKey) throws { try DurableFiles.write(try entry.encoded(), to: path(key)) }

    func remove(_ key: LogKey) throws { try DurableFiles.remove(path(key)) }

    func read(_ key: LogKey) throws -> LogEntry {
        guard let data = FileManager.default.contents(atPath: path(key)) else {
            throw SystemError(errno: ENOENT, call: "open", path: path(key))
        }
        return try LogEntry.decode([UInt8](data))
    }

    /// The entries waiting, oldest first.
    func pending() -> [LogKey] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".json") }.compactMap { LogKey(String($0.dropLast(5))) }.sorted()
    }
}
