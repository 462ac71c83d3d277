/// The catalog of a workspace, behind a small interface so that a shared
/// PostgreSQL catalog can stand beside the default SQLite one.
///
/// Every mutation is one transaction: after a crash the catalog holds either the
/// old row or the new one, never half of each.
public protocol LoRACatalog: Sendable {
    /// Every LoRA, sorted by name.
    func allLoRAs() throws -> [LoRARecord]
    func lora(named name: String) throws -> LoRARecord?
    /// Inserts or replaces the row with `record.name`; returns the row it replaced.
    @discardableResult
    func upsert(_ record: LoRARecord) throws -> LoRARecord?
    /// Renames `from` to `to`, replacing any row named `to`; returns the replaced row.
    @discardableResult
    func rename(from: String, to: String) throws -> LoRARecord?
    /// Deletes the row; returns it if it existed.
    @discardableResult
    func delete(named name: String) throws -> LoRARecord?

    /// Replaces every LoRA row with `records`, in one transaction (`lorafs fsck --rebuild`).
    func replaceAllLoRAs(with records: [LoRARecord]) throws

    /// Every generation job, oldest first.
    func allJobs() throws -> [JobRecord]
    /// Inserts a job; fails with `CatalogError.exists` if the name is taken.
    func insertJob(_ job: JobRecord) throws
    func updateJob(_ job: JobRecord) throws
    @discardableResult
    func deleteJob(named name: String) throws -> JobRecord?
}
