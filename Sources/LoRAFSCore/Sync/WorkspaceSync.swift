import Catalog
import Foundation
import Logging
import Synchronization

/// Keeps this mount's catalog in step with every other mount of the workspace,
/// through the change log in the bucket (`WorkspaceLog.swift`).
///
/// - A change made here (`change(_:_:)`) goes into the outbox first, then into
///   the catalog; the publisher thread puts it in the log (`If-None-Match: *`),
///   so `mv` and `rm` never wait on S3.
/// - A refresh (at mount, every `refreshInterval`, on `touch .lorafs/refresh`)
///   lists the log after its cursor minus `window` and applies the entries it has
///   not applied, per name by key: the greatest key wins on every mount, whatever
///   order entries arrive in. When another mount's change replaces one made here,
///   `.lorafs/errors` says so.
/// - Objects no name points at any more (replaced, removed, lost to another
///   mount's write) are deleted `deleteDelay` after, once a refresh shows no name
///   of any mount points at them: a mount still reading one has time to finish.
///
/// Locks: `state` is never held across S3 or catalog I/O; `refreshing` serialises
/// refreshes only, so `getattr`, `readdir` and writes never wait for one.
final class WorkspaceSync: @unchecked Sendable {
    struct Report: Sendable {
        var at = Date()
        var milliseconds = 0
        var applied = 0
        var listed = 0
        var error: String?
    }

    /// What a change waits with between its outbox entry and its catalog transaction.
    private struct Ticket {
        let key: LogKey
        /// Each name's revision before the change, to put back if it fails.
        let previous: [(String, String?)]
    }

    let options: WorkspaceOptions
    let layout: ObjectLayout
    let store: any ObjectStore
    let catalog: any LoRACatalog
    let mirror: CatalogMirror
    private let journal: @Sendable (FSError) -> Void
    let logger: Logger
    private let statePath: String
    private let outbox: Outbox

    let state: Mutex<SyncState>
    private let refreshing = Mutex(())
    /// One publisher at a time (the thread, an explicit `publish()`, the unmount).
    private let publishing = Mutex(())
    private let saving = Mutex(())
    private let unsaved = Atomic<Bool>(false)
    private let lastSave = Mutex(Date.distantPast)
    /// A change made here (its key, catalog transaction and mirror update) and a refresh's
    /// application of one entry never interleave. Never held across S3.
    private let applying = NSLock()
    /// When the last complete refresh from the log started: a deferred delete waits for
    /// one that started `settle` after its time, so changes other mounts made just
    /// before (still on their way to the bucket) are seen first.
    private let lastRefreshDone = Mutex<Date?>(nil)
    static let settle: TimeInterval = 5
    /// Objects this mount recorded lately, by key: a shared catalog's loss is told only for these.
    private let recentUploads = Mutex<[String: Date]>([:])
    private let wake = NSCondition()
    private var stopping = false  // guarded by `wake`
    private var running = 0  // threads not yet returned, guarded by `wake`
    private var following: (any CatalogFollowing)?  // guarded by `wake`
    private var threads: [Thread] = []
    private let lastReport = Mutex<Report?>(nil)
    /// Called when a shared catalog says job rows changed (the job board reloads them).
    let jobsChanged = Mutex<(@Sendable () -> Void)?>(nil)
    /// True when no state was found: the catalog is rebuilt from the bucket at `bootstrap()`.
    let isFresh: Bool

    /// Late entries within this much of the cursor are still applied, in key order.
    var windowMilliseconds: Int64 { Int64(options.logWindow * 1000) }

    init(options: WorkspaceOptions, store: any ObjectStore, catalog: any LoRACatalog, mirror: CatalogMirror,
         logger: Logger, journal: @escaping @Sendable (FSError) -> Void) throws {
        self.options = options
        layout = options.layout
        self.store = store
        self.catalog = catalog
        self.mirror = mirror
        self.logger = logger
        self.journal = journal
        statePath = options.stateDirectory + "/sync.json"
        outbox = try Outbox(folder: options.stateDirectory + "/outbox")
        let loaded: SyncState?
        do { loaded = try SyncState.load(from: statePath) } catch {
            logger.warning("the sync state is unreadable; rebuilding the catalog from the bucket", metadata: ["error": "\(error)"])
            loaded = nil
        }
        isFresh = loaded == nil
        var current = loaded ?? SyncState()
        current.resumeKeys(after: outbox.pending())
        state = Mutex(current)
    }

    var mountID: String { state.withLock { $0.mount } }

    // MARK: - Changes made here

    /// Records a change made here: its log entry in the outbox, then `apply` (the
    /// catalog transaction). If `apply` throws, the entry is withdrawn.
    ///
    /// The names carry the change's key from before `apply`, so a refresh running
    /// meanwhile cannot put an older entry over it.
    func change<T>(_ changes: [LogEntry.Change], _ apply: () throws -> T) throws -> T {
        // A refresh applying an entry for the same name must come wholly before or after.
        applying.lock()
        defer { applying.unlock() }
        return try changeExclusively(changes, apply)
    }

    private func changeExclusively<T>(_ changes: [LogEntry.Change], _ apply: () throws -> T) throws -> T {
        let ticket = try prepare(changes)
        recentUploads.withLock { uploads in
            for change in changes { if let lora = change.lora { uploads[lora.objectKey] = Date() } }
        }
        let result: T
        do { result = try apply() } catch {
            try? outbox.remove(ticket.key)
            state.withLock { state in
                for (name, revision) in ticket.previous where state.revisions[name] == ticket.key.description {
                    state.revisions[name] = revision
                }
            }
            throw error
        }
        stateChanged()
        signal()
        return result
    }

    private func prepare(_ changes: [LogEntry.Change]) throws -> Ticket {
        let key = nextKey()
        try outbox.add(LogEntry(workspace: options.workspace, mount: mountID, changes: changes), as: key)
        let previous = state.withLock { state in
            changes.map { change in
                defer { state.revisions[change.name] = key.description }
                return (change.name, state.revisions[change.name])
            }
        }
        return Ticket(key: key, previous: previous)
    }

    /// A key after every key seen or made here.
    private func nextKey() -> LogKey {
        state.withLock { state in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            state.clock = max(now, state.clock)
            state.sequence += 1
            return LogKey(milliseconds: state.clock, mount: state.mount, sequence: state.sequence)
        }
    }

    /// `record`'s object is no longer named here: deleted after the delay, if no name points at it then.
    func scheduleDelete(_ record: LoRARecord) {
        state.withLock { state in
            guard !state.deletes.contains(where: { $0.record.objectKey == record.objectKey }) else { return }
            state.deletes.append(.init(record: record, notBefore: Date().timeIntervalSince1970 + options.deleteDelay))
        }
        stateChanged()
        signal()
    }

    // MARK: - Refresh

    /// Applies what the log holds that this mount has not applied; returns what it did.
    @discardableResult
    func refresh() -> Report {
        refreshing.withLock { _ in
            let started = ContinuousClock.now
            var report = Report()
            do {
                if catalog.isShared {
                    // Every mount writes the shared catalog itself: what others changed is
                    // there already, and the mirror catches up from its change versions.
                    let replaced = try mirror.refreshReplacing()
                    report.applied = replaced.count
                    journalLosses(replaced)
                    collectGarbage()
                } else {
                    (report.listed, report.applied) = try refreshOnce()
                }
            } catch {
                report.error = "\(error)"
                logger.warning("refresh from the bucket failed", metadata: ["error": "\(error)"])
            }
            report.milliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
            lastReport.withLock { $0 = report }
            return report
        }
    }

    private func refreshOnce() throws -> (listed: Int, applied: Int) {
        let started = Date()
        try catchUpIfFarBehind()
        let (cursor, applied) = state.withLock { ($0.cursor.flatMap(LogKey.init), $0.applied) }
        let listing: [(key: String, size: UInt64)]
        if let cursor {
            listing = try store.listObjects(prefix: layout.logPrefix, startAfter: layout.logPrefix + LogKey.floor(cursor.milliseconds - windowMilliseconds))
        } else {
            listing = try store.listObjects(prefix: layout.logPrefix)
        }
        let keys = listing.compactMap { item in layout.logKey(ofObject: item.key).map { ($0, item.size) } }
        var changed = 0
        for (key, size) in keys.sorted(by: { $0.0 < $1.0 }) where !applied.contains(key.description) {
            // S3 failing ends this refresh (the next one reads the entry again); an entry
            // that is not a log entry is skipped for good, or it would stop every refresh.
            guard let entry = try readEntry(key, size: size) else { continue }
            applying.lock()
            changed += apply(entry, as: key)
            markApplied(key)
            applying.unlock()
        }
        state.withLock { state in
            if let greatest = keys.map(\.0).max(), state.cursor.map({ greatest.description > $0 }) ?? true {
                state.cursor = greatest.description
            }
            state.prune(windowMilliseconds: windowMilliseconds)
        }
        saveState()
        lastRefreshDone.withLock { $0 = started }
        snapshotIfDue()
        collectGarbage()
        return (keys.count, changed)
    }

    private func readEntry(_ key: LogKey, size: UInt64) throws -> LogEntry? {
        let bytes = try store.getObject(key: layout.logObjectKey(key), range: 0..<size)
        do { return try LogEntry.decode(bytes) } catch {
            logger.warning("skipping an unreadable log entry", metadata: ["key": "\(key)", "error": "\(error)"])
            markApplied(key)
            return nil
        }
    }

    /// At mount. With a state of its own, a refresh; without one (a new state
    /// directory, or one that was lost), the catalog becomes what the log says,
    /// folded name by name. A workspace without a log yet (written by an earlier
    /// version) starts it: the catalog's rows, else what `rebuildFromManifests`
    /// finds in the bucket, become its first entry. Rows of this catalog that the
    /// log never mentions (an island of an earlier version) join the log too.
    ///
    /// A shared catalog (PostgreSQL) is the mounts' common truth: it is followed
    /// instead (`followCatalog()`), and seeded from the bucket only when empty.
    @discardableResult
    func bootstrap(rebuildFromManifests: () throws -> Void) throws -> Report {
        if catalog.isShared {
            followCatalog()
            guard try catalog.allLoRAs().isEmpty else { return refresh() }
        } else if !isFresh && !state.withLock({ $0.foldLogAtMount }) {
            return refresh()
        }
        return try refreshing.withLock { _ in
            let started = ContinuousClock.now
            // What this state directory has not published goes first, so the fold sees it.
            if !outbox.pending().isEmpty && !publish() {
                throw SyncError(description: "the changes this state directory made could not be written to the bucket's log; try the mount again when S3 answers")
            }
            // The latest snapshot and the entries after it, when there is one.
            if let snapshot = try latestSnapshot() {
                let before = try catalog.allLoRAs()
                try restore(snapshot)
                var report = Report()
                (report.listed, report.applied) = try refreshOnce()
                report.applied += snapshot.loras.count
                // Rows the snapshot and the entries since never name (fsck --rebuild found
                // them in the manifests only) join the log.
                let mentioned = state.withLock { Set($0.revisions.keys) }.union(snapshot.loras.map(\.name))
                try publishIsland(before.filter { !mentioned.contains($0.name) && mirror[$0.name] == nil })
                finishFold(over: before)
                report.milliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
                lastReport.withLock { $0 = report }
                logger.notice("catalog rebuilt from the bucket", metadata: ["snapshot": "\(snapshot.cursor)", "entries": "\(report.listed)"])
                return report
            }
            let listing = try store.listObjects(prefix: layout.logPrefix)
            var final: [String: (key: LogKey, lora: LoRARecord?)] = [:]
            var keys: [LogKey] = []
            for item in listing {
                guard let key = layout.logKey(ofObject: item.key), let entry = try readEntry(key, size: item.size) else { continue }
                keys.append(key)
                for change in entry.changes where final[change.name].map({ $0.key < key }) ?? true {
                    final[change.name] = (key, change.lora)
                }
            }
            var before = try catalog.allLoRAs()
            if final.isEmpty && before.isEmpty {
                try rebuildFromManifests()
                before = try catalog.allLoRAs()
            }
            let island = before.filter { final[$0.name] == nil }
            var rows = final.values.compactMap(\.lora)
            rows += island
            try catalog.replaceAllLoRAs(with: rows)
            try mirror.refresh()
            state.withLock { state in
                state.cursor = keys.max()?.description
                state.applied = Set(keys.map(\.description))
                state.revisions = final.mapValues { $0.key.description }
                state.clock = max(state.clock, keys.max()?.milliseconds ?? 0)
                state.sinceSnapshot = keys.count
                state.prune(windowMilliseconds: windowMilliseconds)
            }
            try publishIsland(island)
            finishFold(over: before)
            var report = Report()
            report.listed = keys.count
            report.applied = rows.count
            report.milliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
            lastReport.withLock { $0 = report }
            logger.notice("catalog rebuilt from the bucket", metadata: ["entries": "\(keys.count)", "loras": "\(rows.count)"])
            return report
        }
    }

    /// After a fold over rows `fsck --rebuild` took from the manifests: where the log
    /// said otherwise, the bucket is made to say what the log says, so the next fsck
    /// agrees: a manifest naming another name than the log's (a rename whose rewrite a
    /// crash cut off) is rewritten, and an object the log removed (a removal a crash cut
    /// off after its row) waits for its deferred delete.
    private func finishFold(over before: [LoRARecord]) {
        if state.withLock({ $0.foldLogAtMount }) {
            let now = Dictionary(mirror.all.map { ($0.objectKey, $0) }, uniquingKeysWith: { first, _ in first })
            for old in before {
                if let current = now[old.objectKey] {
                    guard current.name != old.name else { continue }
                    do { try store.putManifest(of: current, layout: layout) } catch {
                        logger.warning("could not rewrite a manifest; fsck reports it", metadata: ["name": "\(current.name)", "error": "\(error)"])
                    }
                } else {
                    scheduleDelete(old)
                }
            }
        }
        state.withLock { $0.foldLogAtMount = false }
        saveState()
    }

    /// Rows of this catalog that the log never mentions become this mount's entry.
    private func publishIsland(_ island: [LoRARecord]) throws {
        guard !island.isEmpty else { return }
        try change(island.map { LogEntry.Change(name: $0.name, lora: $0) }) {
            for row in island where mirror[row.name] == nil { try catalog.upsert(row) }
            try mirror.refresh()
        }
        logger.notice("added this catalog's LoRAs to the workspace's log", metadata: ["count": "\(island.count)"])
    }

    private func markApplied(_ key: LogKey) {
        state.withLock { state in
            if state.applied.insert(key.description).inserted { state.sinceSnapshot += 1 }
            state.clock = max(state.clock, key.milliseconds)
        }
    }

    /// Applies one entry, name by name, where it is newer than what the name shows; returns the names changed.
    private func apply(_ entry: LogEntry, as key: LogKey) -> Int {
        var changed = 0
        for change in entry.changes {
            let newer = state.withLock { state in
                guard let revision = state.revisions[change.name] else { return true }
                return key.description > revision
            }
            guard newer else { continue }
            let (current, revision) = (mirror[change.name], state.withLock { $0.revisions[change.name].flatMap(LogKey.init) })
            if current != change.lora {
                do {
                    if let lora = change.lora {
                        // One object has one name. Another name holding it (two mounts renamed
                        // one LoRA at once) keeps it only if its change is the later one.
                        if let holder = mirror.name(holding: lora.objectKey), holder != change.name {
                            let holderRevision = state.withLock { $0.revisions[holder] }
                            if let holderRevision, holderRevision > key.description { continue }
                            try catalog.delete(named: holder)
                            mirror.remove(holder)
                            state.withLock { $0.revisions[holder] = key.description }
                            changed += 1
                        }
                        try catalog.upsert(lora)
                        mirror.store(lora)
                    } else {
                        try catalog.delete(named: change.name)
                        mirror.remove(change.name)
                    }
                } catch {
                    logger.warning("could not apply a change from the bucket's log", metadata: ["name": "\(change.name)", "key": "\(key)", "error": "\(error)"])
                    continue
                }
                changed += 1
                if let current, current.objectKey != change.lora?.objectKey, let revision, revision.mount == mountID,
                   key.mount != mountID {
                    // Ours, replaced by a later change of another mount: its object goes, and the user hears of it.
                    journal(FSError(.superseded(change.name, what: "the copy stored here (\(current.size) bytes, sha256 \(current.sha256.prefix(12)))", byMount: key.mount)))
                    scheduleDelete(current)
                }
            }
            state.withLock { $0.revisions[change.name] = key.description }
        }
        return changed
    }

    /// A shared catalog pushes every commit of every mount: the mirror follows at
    /// once (within the notification's round trip), with no polling.
    private func followCatalog() {
        let following = catalog.startFollowing { [weak self] events in
            guard let self else { return }
            if events.contains(.loras) { refresh() }
            if events.contains(.jobs) { jobsChanged.withLock { $0 }?() }
        }
        wake.lock()
        self.following = following
        wake.unlock()
    }

    /// In a shared catalog the last commit wins at once; an upload of this mount that
    /// another mount's later commit replaced (within the window) is told in `.lorafs/errors`.
    private func journalLosses(_ replaced: [(old: LoRARecord?, new: LoRARecord?)]) {
        let cutoff = Date().addingTimeInterval(-options.logWindow)
        let recent = recentUploads.withLock { uploads in
            uploads = uploads.filter { $0.value > cutoff }
            return uploads
        }
        for (old, new) in replaced {
            guard let old, recent[old.objectKey] != nil, new?.objectKey != old.objectKey else { continue }
            journal(FSError(.superseded(old.name, what: "the copy stored here (\(old.size) bytes, sha256 \(old.sha256.prefix(12)))",
                                        byMount: "another mount")))
        }
    }

    // MARK: - Deferred deletes

    /// Whether a delete is due by its time but waits for a refresh from the log.
    private func deletesAwaitRefresh() -> Bool {
        guard !catalog.isShared, options.refreshInterval > 0 else { return false }
        let now = Date().timeIntervalSince1970
        let seen = (lastRefreshDone.withLock { $0?.timeIntervalSince1970 } ?? 0) - Self.settle
        return state.withLock { $0.deletes.contains { $0.notBefore + Self.settle <= now && $0.notBefore > seen } }
    }

    /// Deletes the objects whose delay ran out and that no name points at.
    func collectGarbage() {
        publishing.withLock { _ in collectDue() }
    }

    private func collectDue() {
        let now = Date().timeIntervalSince1970
        // Another mount's change may name the object still: with refreshes from the log, a
        // delete waits for a refresh that finished after its time.
        let seen = catalog.isShared || options.refreshInterval == 0 ? now
            : (lastRefreshDone.withLock { $0?.timeIntervalSince1970 } ?? 0) - Self.settle
        let due = state.withLock { $0.deletes.filter { $0.notBefore <= min(now, seen) } }
        guard !due.isEmpty else { return }
        let named = Set(mirror.all.map(\.objectKey))
        for pending in due {
            if !named.contains(pending.record.objectKey) {
                do {
                    try store.deleteObject(key: layout.manifestKey(forObject: pending.record.objectKey))
                    try store.deleteObject(key: pending.record.objectKey)
                } catch {
                    logger.notice("a deferred delete failed; it is tried again", metadata: ["key": "\(pending.record.objectKey)", "error": "\(error)"])
                    state.withLock { state in
                        if let index = state.deletes.firstIndex(of: pending) {
                            state.deletes[index].notBefore = now + min(30, max(1, options.deleteDelay))
                        }
                    }
                    continue
                }
                logger.info("deleted an object no name points at", metadata: ["key": "\(pending.record.objectKey)"])
            }
            state.withLock { state in state.deletes.removeAll { $0 == pending } }
        }
        saveState()
    }

    // MARK: - Publishing and the threads

    /// Puts the outbox in the log, oldest first; false if S3 failed (the rest waits).
    @discardableResult
    func publish() -> Bool {
        publishing.withLock { _ in publishPending() }
    }

    private func publishPending() -> Bool {
        for var key in outbox.pending() {
            do {
                var entry = try outbox.read(key)
                // An entry held back long (S3 down) gets a fresh key before it goes: a
                // key older than the others' window would never be listed by them.
                if Int64(Date().timeIntervalSince1970 * 1000) - key.milliseconds > windowMilliseconds / 2 {
                    let fresh = nextKey()
                    entry.mount = mountID
                    try outbox.add(entry, as: fresh)
                    try outbox.remove(key)
                    state.withLock { state in
                        for change in entry.changes where state.revisions[change.name] == key.description {
                            state.revisions[change.name] = fresh.description
                        }
                    }
                    key = fresh
                }
                // Already there (412) means an earlier attempt landed and only its answer was lost.
                _ = try store.putObjectIfAbsent(key: layout.logObjectKey(key), body: try entry.encoded())
                try outbox.remove(key)
                markApplied(key)
            } catch {
                logger.notice("the change log could not be written; retrying", metadata: ["key": "\(key)", "error": "\(error)"])
                return false
            }
        }
        saveIfDue()
        return true
    }

    var outboxCount: Int { outbox.pending().count }

    /// Starts the publisher and, with a refresh interval, the refresher.
    func start() {
        let publisher = Thread { [self] in
            defer { threadEnded() }
            var backoff = 1.0
            while true {
                wake.lock()
                if !stopping { _ = wake.wait(until: Date().addingTimeInterval(backoff)) }
                let done = stopping
                wake.unlock()
                if done { return }
                backoff = publish() ? 1 : min(backoff * 2, 30)
                // A delete whose time came waits for a refresh after it: run one now (it
                // collects at its end) rather than wait for the refresh interval.
                if deletesAwaitRefresh() { refresh() } else { collectGarbage() }
            }
        }
        publisher.name = "lorafs-publisher"
        threads.append(publisher)
        if options.refreshInterval > 0 && !catalog.isShared {
            let refresher = Thread { [self] in
                defer { threadEnded() }
                while true {
                    wake.lock()
                    let deadline = Date().addingTimeInterval(options.refreshInterval)
                    while !stopping, wake.wait(until: deadline) {}
                    let done = stopping
                    wake.unlock()
                    if done { return }
                    refresh()
                }
            }
            refresher.name = "lorafs-refresher"
            threads.append(refresher)
        }
        wake.lock()
        running = threads.count
        wake.unlock()
        for thread in threads { thread.start() }
    }

    /// Each thread's last act.
    private func threadEnded() {
        wake.lock()
        running -= 1
        wake.broadcast()
        wake.unlock()
    }

    /// At unmount: the threads stop, and what is in the outbox goes to the log now
    /// (what S3 does not take is published at the next mount).
    func stop() {
        // The threads finish what they are doing (a refresh, a publication: bounded by
        // the s3-timeout) and return before the process may exit under them.
        wake.lock()
        stopping = true
        wake.broadcast()
        let deadline = Date().addingTimeInterval(options.s3Timeout + 5)
        while running > 0, wake.wait(until: deadline) {}
        if running > 0 { logger.warning("unmounting while a refresh or publication still runs") }
        let following = self.following
        wake.unlock()
        following?.stop()
        if !publish() { logger.warning("unmounting with changes not yet in the bucket's log; the next mount publishes them") }
        collectGarbage()
        saveIfDue(force: true)
    }

    /// Wakes the publisher (the refresher, woken too, goes back to its wait).
    private func signal() {
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    /// A change of the state that need not be on disk when the operation returns: the
    /// publisher saves it within about a second (`saveIfDue`), and `stop()` at once.
    /// The outbox entry, written durably first, is what a crash must not lose; what a
    /// crash loses here is recovered: the keys resume past anything issued
    /// (`SyncState.resumeKeys`), the next refresh reads the window's entries again
    /// (this mount's own included, which restores their revisions), and a deferred
    /// delete lost leaves an orphan for `fsck --collect`. Saving the whole state on
    /// every change cost 80 ms of CPU per `rm` once the window held thousands of entries.
    func stateChanged() { unsaved.store(true, ordering: .releasing) }

    /// Saves if something changed and the last save is a second old (or `force`).
    func saveIfDue(force: Bool = false) {
        guard unsaved.load(ordering: .acquiring) else { return }
        let due = force || lastSave.withLock { Date().timeIntervalSince($0) >= 1 }
        if due { saveState() }
    }

    /// Saves are serialised: two threads writing the one file at once would interleave.
    func saveState() {
        saving.withLock { _ in
            unsaved.store(false, ordering: .releasing)
            lastSave.withLock { $0 = Date() }
            let snapshot = state.withLock { $0 }
            do { try snapshot.save(to: statePath) } catch {
                logger.warning("could not save the sync state", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Status

    var statusLines: [String] {
        let report = lastReport.withLock { $0 }
        let (deletes, cursor) = state.withLock { ($0.deletes.count, $0.cursor) }
        var lines = [
            "mount_id: \(mountID)",
            "refresh_interval: \(Int(options.refreshInterval))",
            "last_refresh: \(report.map { $0.at.formatted(.iso8601) } ?? "never")",
        ]
        if let report {
            lines.append("last_refresh_ms: \(report.milliseconds)")
            lines.append("last_refresh_changes: \(report.applied)")
            if let error = report.error { lines.append("last_refresh_error: \(error)") }
        }
        lines.append("log_cursor: \(cursor ?? "none")")
        lines.append("changes_not_yet_published: \(outboxCount)")
        lines.append("deletes_pending: \(deletes)")
        return lines
    }
}

/// Why a mount could not start from the bucket's log.
struct SyncError: Error, CustomStringConvertible {
    let description: String
}
