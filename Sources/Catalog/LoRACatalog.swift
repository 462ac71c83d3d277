/// The catalog of a workspace, behind a small interface so that a shared
/// PostgreSQL catalog can stand beside the default SQLite one.
///
/// Every mutation is one transaction: after a crash the catalog holds either the
/// old row or the new one, never half of each. Every failure is a `CatalogError`.
///
/// A catalog shared by several mounts needs two more things, both here:
/// - a change version, so a mount can ask what others changed since it last
///   looked (`changeVersion()`, `changes(since:)`);
/// - conditional updates, so a mount replaces only the row it read and learns
///   (`CatalogError.conflict`) when another mount got there first.
public protocol LoRACatalog: Sendable {
    /// Every LoRA, sorted by name.
    func allLoRAs() throws -> [LoRARecord]
    /// The LoRA named `name`, if any.
    func lora(named name: String) throws -> LoRARecord?

    /// Inserts or replaces the row with `record.name` if that row meets `expectation`
    /// (else throws `CatalogError.conflict` and changes nothing); returns the row it
    /// replaced. `upsert(_:)` and `upsert(_:ifCurrentObjectKey:)` call it.
    @discardableResult
    func upsert(_ record: LoRARecord, expecting expectation: RowExpectation) throws -> LoRARecord?
    /// Renames `from` to `to` if the row named `from` meets `expectation` and the row
    /// named `to` (if any) meets `replacing` (`.objectKey(nil)`: none may be there, as
    /// for RENAME_NOREPLACE; a row there is `.conflict` naming `to`); returns the
    /// replaced row. No row named `from`: `CatalogError.notFound` when anything was
    /// expected, else `.conflict`.
    @discardableResult
    func rename(from: String, to: String, expecting expectation: RowExpectation, replacing: RowExpectation) throws -> LoRARecord?
    /// Deletes the row if it meets `expectation`; returns it if it existed.
    @discardableResult
    func delete(named name: String, expecting expectation: RowExpectation) throws -> LoRARecord?
    /// Replaces every LoRA row with `records`, in one transaction (`lorafs fsck --rebuild`).
    func replaceAllLoRAs(with records: [LoRARecord]) throws

    /// The version of the LoRA rows: it grows with every transaction that changes
    /// one and never goes back; 0 for a catalog that never held a row.
    func changeVersion() throws -> Int64
    /// What changed in the LoRA rows after `version`, read in one snapshot, at a
    /// cost that grows with the number of names changed, not of rows. `since: 0`
    /// returns every row. To follow a catalog, read `changeVersion()` before
    /// `allLoRAs()`, then ask for `changes(since:)` that version: a change made
    /// between the two reads is then delivered twice, never missed.
    func changes(since version: Int64) throws -> CatalogChanges

    /// Whether other mounts write this catalog too (PostgreSQL): then it, not the
    /// bucket's change log, is what a mount follows.
    var isShared: Bool { get }
    /// Calls `onChange` (on a thread of the catalog's) after any transaction that
    /// changed a LoRA row (`.loras`) or a job row (`.jobs`) commits, whoever made it,
    /// and with both once at start and after every reconnection; `changes(since:)`
    /// and `allJobs()` then tell what changed. nil: the engine cannot push changes
    /// (SQLite, which only this mount writes).
    func startFollowing(onChange: @escaping @Sendable (CatalogEvents) -> Void) -> (any CatalogFollowing)?

    /// Every generation job, oldest first.
    func allJobs() throws -> [JobRecord]
    /// Inserts a job; fails with `CatalogError.exists` if the name is taken.
    func insertJob(_ job: JobRecord) throws
    /// Replaces the job's row; fails with `CatalogError.notFound` if there is none.
    func updateJob(_ job: JobRecord) throws
    /// Deletes the job's row; returns it if it existed.
    @discardableResult
    func deleteJob(named name: String) throws -> JobRecord?
    /// Makes `mount` the job's poller for `seconds` by the catalog's own clock (so the
    /// mounts' clocks need not agree), unless another mount holds a lease that has not
    /// run out: exactly one mount polls each job, and a mount that vanished hands its
    /// jobs on when its leases end. `CatalogError.notFound` if the job is gone.
    func leaseJob(named name: String, to mount: String, seconds: Double) throws -> JobLease
    /// Ends the leases `mount` holds (at unmount), so another mount polls its jobs at once.
    func releaseJobLeases(heldBy mount: String) throws
}

/// What a catalog's push says changed.
public struct CatalogEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// LoRA rows: `changes(since:)` tells which.
    public static let loras = CatalogEvents(rawValue: 1)
    /// Job rows, or who polls them: `allJobs()` tells.
    public static let jobs = CatalogEvents(rawValue: 2)
    public static let all: CatalogEvents = [.loras, .jobs]
}

/// The answer of `leaseJob`.
public enum JobLease: Sendable, Equatable {
    /// This mount polls the job (the row as it is now).
    case held(JobRecord)
    /// Another mount's lease has not run out.
    case heldElsewhere(mount: String)
}

/// What a mutation requires of the row it is about to change.
public enum RowExpectation: Sendable, Equatable {
    /// Whatever is there: the unconditional forms.
    case anything
    /// The row's object key, `nil` meaning no row at all.
    case objectKey(String?)

    /// Throws `CatalogError.conflict` unless `found` (the row named `name`, if any) meets this.
    public func check(name: String, found: LoRARecord?) throws {
        guard case .objectKey(let expected) = self, expected != found?.objectKey else { return }
        throw CatalogError.conflict(name: name, expected: expected, found: found?.objectKey)
    }
}

/// A catalog's push of changes, until `stop()` (after which `onChange` never runs).
public protocol CatalogFollowing: Sendable {
    func stop()
}

/// The unconditional and conditional forms every engine shares.
extension LoRACatalog {
    public var isShared: Bool { false }

    public func startFollowing(onChange: @escaping @Sendable (CatalogEvents) -> Void) -> (any CatalogFollowing)? { nil }

    /// Inserts or replaces the row with `record.name`; returns the row it replaced.
    @discardableResult
    public func upsert(_ record: LoRARecord) throws -> LoRARecord? {
        try upsert(record, expecting: .anything)
    }

    /// `upsert(_:)`, only if the row named `record.name` still has object key
    /// `expected` (`nil`: only if there is no such row); otherwise throws
    /// `CatalogError.conflict` and changes nothing.
    @discardableResult
    public func upsert(_ record: LoRARecord, ifCurrentObjectKey expected: String?) throws -> LoRARecord? {
        try upsert(record, expecting: .objectKey(expected))
    }

    /// Renames `from` to `to`, replacing any row named `to`; returns the replaced row.
    /// Fails with `CatalogError.notFound` if there is no row named `from`.
    @discardableResult
    public func rename(from: String, to: String) throws -> LoRARecord? {
        try rename(from: from, to: to, expecting: .anything, replacing: .anything)
    }

    /// `rename(from:to:expecting:replacing:)`, replacing any row named `to`.
    @discardableResult
    public func rename(from: String, to: String, expecting expectation: RowExpectation) throws -> LoRARecord? {
        try rename(from: from, to: to, expecting: expectation, replacing: .anything)
    }

    /// `rename(from:to:)`, only if the row named `from` still has object key
    /// `expected`; otherwise (also when it is gone) throws `CatalogError.conflict`
    /// and changes nothing. A row named `to` is replaced whatever it holds.
    @discardableResult
    public func rename(from: String, to: String, ifCurrentObjectKey expected: String) throws -> LoRARecord? {
        try rename(from: from, to: to, expecting: .objectKey(expected), replacing: .anything)
    }

    /// Deletes the row; returns it if it existed.
    @discardableResult
    public func delete(named name: String) throws -> LoRARecord? {
        try delete(named: name, expecting: .anything)
    }

    /// `delete(named:)`, only if the row still has object key `expected`; otherwise
    /// (also when it is gone) throws `CatalogError.conflict` and changes nothing.
    @discardableResult
    public func delete(named name: String, ifCurrentObjectKey expected: String) throws -> LoRARecord? {
        try delete(named: name, expecting: .objectKey(expected))
    }
}
