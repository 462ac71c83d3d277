import Catalog

/// The LoRA rows. Each mutation takes a `RowExpectation` (`LoRACatalog`'s extension
/// gives the unconditional and conditional forms), so both forms share one
/// transaction, one check and one change record.
extension PostgreSQLCatalog {
    private static let selectAll = "SELECT \(LoRARecord.columns) FROM lorafs_loras WHERE workspace = $1"

    /// Every LoRA, sorted by name (by its UTF-8 bytes).
    public func allLoRAs() throws -> [LoRARecord] {
        try query("list LoRAs") { connection in
            try connection.execute(Self.selectAll + " ORDER BY name", [workspace]).rows.map { try LoRARecord(row: $0) }
        }
    }

    /// The LoRA named `name`, if any.
    public func lora(named name: String) throws -> LoRARecord? {
        try query("read LoRA") { connection in try fetch(name, connection) }
    }

    /// Replaces every LoRA row with `records` in one transaction; only rows that differ count as changes.
    public func replaceAllLoRAs(with records: [LoRARecord]) throws {
        try write("replace all LoRAs") { connection in
            let version = try changeLog.lockVersion(connection)
            let old = try connection.execute(Self.selectAll, [workspace]).rows.map { try LoRARecord(row: $0) }
            try connection.execute("DELETE FROM lorafs_loras WHERE workspace = $1", [workspace])
            try insert(records, connection)
            // Only the names whose row differs count as changed: an `fsck --rebuild` of a
            // sound catalog must not make every mount reload it. (Names are unique on both
            // sides: the primary key refused duplicates in the insert above.)
            let before = Dictionary(uniqueKeysWithValues: old.map { ($0.name, $0) })
            let after = Dictionary(uniqueKeysWithValues: records.map { ($0.name, $0) })
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            try changeLog.record(changed, lockedVersion: version, connection)
        }
    }

    /// The version of the latest change to the LoRA rows (0: none yet).
    public func changeVersion() throws -> Int64 {
        try query("read change version") { connection in try changeLog.version(connection) }
    }

    /// The LoRA rows upserted and the names deleted after `version`, read in one snapshot.
    public func changes(since version: Int64) throws -> CatalogChanges {
        try read("read changes") { connection in try changeLog.changes(since: version, connection) }
    }

    /// Inserts or replaces the row, if it meets `expectation`, in one transaction with its change record.
    @discardableResult
    public func upsert(_ record: LoRARecord, expecting expectation: RowExpectation) throws -> LoRARecord? {
        try write("upsert") { connection in
            let version = try changeLog.lockVersion(connection)
            let old = try fetch(record.name, connection)
            try expectation.check(name: record.name, found: old)
            let updates = LoRARecord.columns.split(separator: ",").dropFirst()
                .map { "\($0.trimmingPrefix(" ")) = EXCLUDED.\($0.trimmingPrefix(" "))" }.joined(separator: ", ")
            try connection.execute("""
                INSERT INTO lorafs_loras (workspace, \(LoRARecord.columns))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (workspace, name) DO UPDATE SET \(updates)
                """, [workspace] + record.values)
            try changeLog.record([record.name], lockedVersion: version, connection)
            return old
        }
    }

    /// Renames the row, if it meets `expectation`, in one transaction with its change record.
    @discardableResult
    public func rename(from: String, to: String, expecting expectation: RowExpectation, replacing: RowExpectation) throws -> LoRARecord? {
        try write("rename") { connection in
            let version = try changeLog.lockVersion(connection)
            let source = try fetch(from, connection)
            try expectation.check(name: from, found: source)
            guard source != nil else { throw CatalogError.notFound(from) }
            if from == to { return nil }
            let replaced = try fetch(to, connection)
            try replacing.check(name: to, found: replaced)
            if replaced != nil {
                try connection.execute("DELETE FROM lorafs_loras WHERE workspace = $1 AND name = $2", [workspace, to])
            }
            try connection.execute("UPDATE lorafs_loras SET name = $3 WHERE workspace = $1 AND name = $2",
                                   [workspace, from, to])
            try changeLog.record([from, to], lockedVersion: version, connection)
            return replaced
        }
    }

    /// Deletes the row, if it meets `expectation`, in one transaction with its change record.
    @discardableResult
    public func delete(named name: String, expecting expectation: RowExpectation) throws -> LoRARecord? {
        try write("delete") { connection in
            let version = try changeLog.lockVersion(connection)
            let old = try fetch(name, connection)
            try expectation.check(name: name, found: old)
            guard old != nil else { return nil }
            try connection.execute("DELETE FROM lorafs_loras WHERE workspace = $1 AND name = $2", [workspace, name])
            try changeLog.record([name], lockedVersion: version, connection)
            return old
        }
    }

    private func fetch(_ name: String, _ connection: PQConnection) throws -> LoRARecord? {
        try connection.execute(Self.selectAll + " AND name = $2", [workspace, name]).rows.first.map { try LoRARecord(row: $0) }
    }

    /// Inserts `records` in one statement, whatever their number: one array per column.
    private func insert(_ records: [LoRARecord], _ connection: PQConnection) throws {
        guard !records.isEmpty else { return }
        let types = ["text", "text", "bigint", "text", "float8", "text", "bigint", "bigint", "boolean", "text", "text", "text"]
        let columns = records.map(\.values)
        let arrays = types.indices.map { column in Encode.array(columns.map { $0[column] }) }
        let unnest = types.enumerated().map { "$\($0.offset + 2)::\($0.element)[]" }.joined(separator: ", ")
        try connection.execute("""
            INSERT INTO lorafs_loras (workspace, \(LoRARecord.columns)) SELECT $1, * FROM unnest(\(unnest))
            """, [workspace] + arrays)
    }

    /// Throws `.conflict` unless `found` is what `expectation` asks for.
}
