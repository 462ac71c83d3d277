import Catalog
import GRDB

/// The LoRA rows. Each mutation takes a `RowExpectation` (`LoRACatalog`'s extension
/// gives the unconditional and conditional forms), so both forms share one
/// transaction, one check and one change record.
extension SQLiteCatalog {
    /// Every LoRA, sorted by name.
    public func allLoRAs() throws -> [LoRARecord] {
        try read("list LoRAs") { db in try LoRARecord.order(Column("name")).fetchAll(db) }
    }

    /// The LoRA named `name`, if any.
    public func lora(named name: String) throws -> LoRARecord? {
        try read("read LoRA") { db in try LoRARecord.fetchOne(db, key: name) }
    }

    /// Replaces every LoRA row with `records` in one transaction; only rows that differ count as changes.
    public func replaceAllLoRAs(with records: [LoRARecord]) throws {
        try write("replace all LoRAs") { db in
            let old = try LoRARecord.fetchAll(db)
            _ = try LoRARecord.deleteAll(db)
            for record in records { try record.insert(db) }
            // Only the names whose row differs count as changed: an `fsck
            // --rebuild` of a sound catalog must not make every mount reload it.
            // (Names are unique on both sides: the inserts above enforce it.)
            let before = Dictionary(uniqueKeysWithValues: old.map { ($0.name, $0) })
            let after = Dictionary(uniqueKeysWithValues: records.map { ($0.name, $0) })
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            try ChangeLog.record(changed, in: db)
        }
    }

    /// The version of the latest change to the LoRA rows (0: none yet).
    public func changeVersion() throws -> Int64 {
        try read("read change version") { db in try ChangeLog.version(db) }
    }

    /// The LoRA rows upserted and the names deleted after `version`, from the change log.
    public func changes(since version: Int64) throws -> CatalogChanges {
        try read("read changes") { db in try ChangeLog.changes(since: version, db) }
    }

    /// Inserts or replaces the row, if it meets `expectation`, in one transaction with its change record.
    @discardableResult
    public func upsert(_ record: LoRARecord, expecting expectation: RowExpectation) throws -> LoRARecord? {
        try write("upsert") { db in
            let old = try LoRARecord.fetchOne(db, key: record.name)
            try expectation.check(name: record.name, found: old)
            try record.save(db)
            try ChangeLog.record([record.name], in: db)
            return old
        }
    }

    /// Renames the row, if it meets `expectation`, in one transaction with its change record.
    @discardableResult
    public func rename(from: String, to: String, expecting expectation: RowExpectation, replacing: RowExpectation) throws -> LoRARecord? {
        try write("rename") { db in
            let source = try LoRARecord.fetchOne(db, key: from)
            try expectation.check(name: from, found: source)
            guard var row = source else { throw CatalogError.notFound(from) }
            if from == to { return nil }
            let replaced = try LoRARecord.fetchOne(db, key: to)
            try replacing.check(name: to, found: replaced)
            if replaced != nil { _ = try LoRARecord.deleteOne(db, key: to) }
            _ = try LoRARecord.deleteOne(db, key: from)
            row.name = to
            try row.insert(db)
            try ChangeLog.record([from, to], in: db)
            return replaced
        }
    }

    /// Deletes the row, if it meets `expectation`, in one transaction with its change record.
    @discardableResult
    public func delete(named name: String, expecting expectation: RowExpectation) throws -> LoRARecord? {
        try write("delete") { db in
            let old = try LoRARecord.fetchOne(db, key: name)
            try expectation.check(name: name, found: old)
            guard old != nil else { return nil }
            _ = try LoRARecord.deleteOne(db, key: name)
            try ChangeLog.record([name], in: db)
            return old
        }
    }

    /// Throws `.conflict` unless `found` is what `expectation` asks for.
}
