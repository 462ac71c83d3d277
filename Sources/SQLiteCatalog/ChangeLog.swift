import Catalog
import GRDB

/// The change log behind `changeVersion()` and `changes(since:)`.
///
/// Table `lora_changes(name PRIMARY KEY, version INDEXED)`: one row per name that
/// ever changed, holding the version of the transaction that last changed it.
/// - The current version is `MAX(version)`, one step down the index. Versions
///   only ever grow because a change always writes `MAX + 1` under the write lock.
/// - The log keeps only the latest change per name, so it is bounded by the
///   names ever used (live rows plus the tombstones of deleted names), not by
///   the number of mutations.
/// - Whether a name's latest change was an upsert or a delete is not stored:
///   the `loras` row either exists (upserted, current state) or not (deleted),
///   in the same snapshot. `changes(since:)` walks the index from `since`, so it
///   costs the names changed since then, not the rows.
/// - One version per transaction: a rename writes the old and the new name with
///   the same version, so a reader sees both halves or neither.
enum ChangeLog {
    static let table = "lora_changes"

    /// The version of the latest change; 0 if none.
    static func version(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM \(table)") ?? 0
    }

    /// Marks `names` as changed by the current transaction (nothing if empty).
    static func record(_ names: some Collection<String>, in db: Database) throws {
        guard !names.isEmpty else { return }
        let next = try version(db) + 1
        // One prepared statement for all names: a restore records 100,000 at once.
        let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO \(table) (name, version) VALUES (?, ?)")
        for name in names { try statement.execute(arguments: [name, next]) }
    }

    /// The changes after `since`, as of the snapshot `db` reads.
    static func changes(since: Int64, _ db: Database) throws -> CatalogChanges {
        let upserted = try LoRARecord.fetchAll(db, sql: """
            SELECT loras.* FROM \(table) AS c JOIN loras ON loras.name = c.name
            WHERE c.version > ? ORDER BY loras.name
            """, arguments: [since])
        let deleted = try String.fetchAll(db, sql: """
            SELECT c.name FROM \(table) AS c
            WHERE c.version > ? AND NOT EXISTS (SELECT 1 FROM loras WHERE loras.name = c.name)
            ORDER BY c.name
            """, arguments: [since])
        return CatalogChanges(version: try version(db), upserted: upserted, deleted: deleted)
    }
}
