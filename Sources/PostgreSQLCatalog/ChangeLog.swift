import Catalog

/// The change version of a workspace and its change log, for one workspace's transactions.
///
/// `lorafs_lora_changes` is SQLite's `lora_changes` with a workspace column: one row per
/// name that ever changed, holding the version of the transaction that last changed it;
/// whether that change left a row or removed one is read from `lorafs_loras` in the same
/// snapshot.
///
/// Versions in commit order. The version is not a sequence: it is the `version` column of
/// the workspace's row in `lorafs_workspaces`, and every transaction that changes a LoRA
/// row locks that row first (`SELECT ... FOR UPDATE`) and writes `version + 1` there and
/// into the log. The lock is held until commit, so the writers of a workspace run one after
/// the other and commit in the order of their versions; with a sequence, a transaction
/// holding version 7 could commit after one holding 8, and a reader that saw 8 would never
/// ask for 7. Here a snapshot that shows version V shows every change up to V, and none
/// after: `changes(since:)` reads the version and the log in one such snapshot. The lock
/// also makes the conditional updates exact: the row they check cannot change before they
/// commit. Writers of different workspaces do not wait for each other.
///
/// Every changing transaction also sends `pg_notify(channel, version)`, which PostgreSQL
/// delivers at commit (and drops on rollback).
struct ChangeLog {
    let workspace: String
    let channel: NotifyChannel

    /// Locks the workspace's version row until the transaction ends (creating it the first
    /// time) and returns the version.
    func lockVersion(_ connection: PQConnection) throws(PQError) -> Int64 {
        let select = "SELECT version FROM lorafs_workspaces WHERE workspace = $1 FOR UPDATE"
        if let version = try Self.version(in: connection.execute(select, [workspace])) { return version }
        // Two first writers: one inserts, the other waits for it at the unique index, then does nothing.
        try connection.execute("INSERT INTO lorafs_workspaces (workspace) VALUES ($1) ON CONFLICT (workspace) DO NOTHING",
                               [workspace])
        guard let version = try Self.version(in: connection.execute(select, [workspace])) else {
            throw PQError(sqlState: SQLState.insufficientPrivilege,
                          message: "the version row of workspace \"\(workspace)\" cannot be read", connectionLost: false)
        }
        return version
    }

    /// Marks `names` as changed by this transaction, whose locked version is `locked`;
    /// nothing (and no new version) if `names` is empty.
    func record(_ names: some Collection<String>, lockedVersion locked: Int64, _ connection: PQConnection) throws(PQError) {
        guard !names.isEmpty else { return }
        let next = String(locked + 1)
        try connection.execute("""
            INSERT INTO lorafs_lora_changes (workspace, name, version) SELECT $1, unnest($2::text[]), $3
            ON CONFLICT (workspace, name) DO UPDATE SET version = EXCLUDED.version
            """, [workspace, Encode.array(names.map { $0 }), next])
        try connection.execute("UPDATE lorafs_workspaces SET version = $2 WHERE workspace = $1", [workspace, next])
        try connection.execute("SELECT pg_notify($1, $2)", [channel.name, next])
    }

    /// The version of the latest change; 0 if none.
    func version(_ connection: PQConnection) throws(PQError) -> Int64 {
        try Self.version(in: connection.execute("SELECT version FROM lorafs_workspaces WHERE workspace = $1", [workspace])) ?? 0
    }

    /// The changes after `since`, as of the snapshot the transaction of `connection` reads.
    func changes(since: Int64, _ connection: PQConnection) throws(PQError) -> CatalogChanges {
        let version = try version(connection)
        let upserted = try connection.execute("""
            SELECT \(LoRARecord.columns.qualified("l")) FROM lorafs_lora_changes AS c
            JOIN lorafs_loras AS l ON l.workspace = c.workspace AND l.name = c.name
            WHERE c.workspace = $1 AND c.version > $2 ORDER BY l.name
            """, [workspace, String(since)]).rows.map { row throws(PQError) in try LoRARecord(row: row) }
        let deleted = try connection.execute("""
            SELECT c.name FROM lorafs_lora_changes AS c
            WHERE c.workspace = $1 AND c.version > $2
              AND NOT EXISTS (SELECT 1 FROM lorafs_loras AS l WHERE l.workspace = c.workspace AND l.name = c.name)
            ORDER BY c.name
            """, [workspace, String(since)]).rows.compactMap { $0.first ?? nil }
        return CatalogChanges(version: version, upserted: upserted, deleted: deleted)
    }

    private static func version(in result: PQRows) throws(PQError) -> Int64? {
        guard let row = result.rows.first else { return nil }
        var reader = RowReader(row)
        return try reader.int64()
    }
}

extension String {
    /// A column list with every column prefixed by `alias.`.
    func qualified(_ alias: String) -> String {
        split(separator: ",").map { "\(alias).\($0.trimmingPrefix(" "))" }.joined(separator: ", ")
    }
}
