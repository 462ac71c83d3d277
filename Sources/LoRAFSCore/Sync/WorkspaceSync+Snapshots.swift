import Catalog
import Foundation

/// What a snapshot holds (`workspaces/WS/snapshots/CURSOR.json`): every LoRA as the
/// writing mount showed it once it had applied the log up to `cursor`, with the
/// window's revisions and applied entries, so a reader applies the entries after
/// it in the same order a live mount would.
struct LogSnapshot: StoredJSON {
    var version = 1
    var workspace: String
    var cursor: String
    var revisions: [String: String]
    var applied: Set<String>
    var loras: [LoRARecord]

}

extension ObjectLayout {
    var snapshotsPrefix: String { prefix + "snapshots/" }

    func snapshotKey(cursor: String) -> String { snapshotsPrefix + cursor + ".json" }
}

/// Snapshots keep a bootstrap cheap and the log short: after every
/// `logSnapshotEvery` entries a mount writes one and deletes the log entries
/// older than both it (less the window) and `logRetention`, and the snapshots
/// before the last two. A mount that comes back after more than half the
/// retention, or one without state, starts from the latest snapshot instead of
/// the whole log.
extension WorkspaceSync {
    /// The newest snapshot in the bucket, if any.
    func latestSnapshot() throws -> LogSnapshot? {
        let listing = try store.listObjects(prefix: layout.snapshotsPrefix)
        for item in listing.sorted(by: { $0.key > $1.key }) {
            let bytes = try store.getObject(key: item.key, range: 0..<item.size)
            if let snapshot = try? LogSnapshot.decode(bytes), snapshot.workspace == options.workspace {
                return snapshot
            }
            logger.warning("skipping an unreadable snapshot", metadata: ["key": "\(item.key)"])
        }
        return nil
    }

    /// Makes the catalog and the state what `snapshot` says (its refresh, after, applies what came since).
    func restore(_ snapshot: LogSnapshot) throws {
        try catalog.replaceAllLoRAs(with: snapshot.loras)
        try mirror.refresh()
        state.withLock { state in
            state.cursor = snapshot.cursor
            state.revisions = snapshot.revisions
            state.applied = snapshot.applied
            state.clock = max(state.clock, LogKey(snapshot.cursor)?.milliseconds ?? 0)
            state.sinceSnapshot = 0
        }
        logger.notice("catalog restored from the bucket's snapshot", metadata: ["cursor": "\(snapshot.cursor)", "loras": "\(snapshot.loras.count)"])
    }

    /// After a refresh: a snapshot once enough entries went by, then the log and old snapshots compacted.
    func snapshotIfDue() {
        let (due, cursor, revisions, applied) = state.withLock {
            ($0.sinceSnapshot >= options.logSnapshotEvery, $0.cursor, $0.revisions, $0.applied)
        }
        guard due, let cursor, let cursorKey = LogKey(cursor) else { return }
        let snapshot = LogSnapshot(workspace: options.workspace, cursor: cursor, revisions: revisions, applied: applied, loras: mirror.all)
        do {
            _ = try store.putObjectIfAbsent(key: layout.snapshotKey(cursor: cursor), body: try snapshot.encoded())
            state.withLock { $0.sinceSnapshot = 0 }
            logger.info("wrote a snapshot of the workspace", metadata: ["cursor": "\(cursor)", "loras": "\(snapshot.loras.count)"])
            try compact(before: cursorKey)
        } catch {
            logger.notice("could not write or compact a snapshot; tried again later", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes log entries no mount needs any more, and all snapshots but the last two.
    private func compact(before cursor: LogKey) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let horizon = min(cursor.milliseconds - windowMilliseconds, now - Int64(options.logRetention * 1000))
        let floor = layout.logPrefix + LogKey.floor(horizon)
        var deleted = 0
        for item in try store.listObjects(prefix: layout.logPrefix) where item.key < floor {
            try store.deleteObject(key: item.key)
            deleted += 1
        }
        let snapshots = try store.listObjects(prefix: layout.snapshotsPrefix).map(\.key).sorted()
        for key in snapshots.dropLast(2) { try store.deleteObject(key: key) }
        if deleted > 0 { logger.info("compacted the change log", metadata: ["entries_deleted": "\(deleted)"]) }
    }

    /// A mount whose cursor is older than half the retention may have missed entries
    /// a compaction deleted: it starts again from the latest snapshot, if that is newer.
    func catchUpIfFarBehind() throws {
        guard let cursor = state.withLock({ $0.cursor.flatMap(LogKey.init) }) else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard now - cursor.milliseconds > Int64(options.logRetention * 500) else { return }
        if let snapshot = try latestSnapshot(), snapshot.cursor > cursor.description { try restore(snapshot) }
    }
}
