import Foundation
import GRDB

/// The default catalog: one SQLite file per workspace (`STATE_DIR/catalog.sqlite`),
/// in WAL mode with a busy timeout, so `lorafs ls` can read while a mount writes.
public final class SQLiteCatalog: LoRACatalog {
    let queue: DatabaseQueue

    /// Opens (creating if needed) the catalog at `path` and migrates its schema.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.journalMode = .wal
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(queue)
    }

    /// Opens an in-memory catalog (tests).
    public init() throws {
        queue = try DatabaseQueue()
        try Self.migrator.migrate(queue)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: loras") { db in
            try db.create(table: "loras") { t in
                t.column("name", .text).primaryKey()
                t.column("object_key", .text).notNull().unique()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("uploaded_at", .double).notNull()
                t.column("kind", .text).notNull()
            }
        }
        migrator.registerMigration("v2: lora summaries, jobs") { db in
            try db.alter(table: "loras") { t in
                t.add(column: "rank", .integer)
                t.add(column: "hidden_size", .integer)
                t.add(column: "has_image_cross_attention", .boolean).notNull().defaults(to: false)
                t.add(column: "timestep_range", .text)
                t.add(column: "trigger_phrase", .text)
                t.add(column: "base_model", .text)
            }
            try db.create(table: "jobs") { t in
                t.column("name", .text).primaryKey()
                t.column("spec", .text).notNull()
                t.column("backend", .text).notNull()
                t.column("backend_id", .text).notNull()
                t.column("status_url", .text)
                t.column("response_url", .text)
                t.column("cancel_url", .text)
                t.column("state", .text).notNull()
                t.column("error", .text)
                t.column("created_at", .double).notNull()
                t.column("updated_at", .double).notNull()
                t.column("output_key", .text)
                t.column("output_size", .integer)
            }
        }
        return migrator
    }

    public func allLoRAs() throws -> [LoRARecord] {
        try queue.read { db in try LoRARecord.order(Column("name")).fetchAll(db) }
    }

    public func lora(named name: String) throws -> LoRARecord? {
        try queue.read { db in try LoRARecord.fetchOne(db, key: name) }
    }

    @discardableResult
    public func upsert(_ record: LoRARecord) throws -> LoRARecord? {
        try queue.write { db in
            let old = try LoRARecord.fetchOne(db, key: record.name)
            try record.save(db)
            return old
        }
    }

    @discardableResult
    public func rename(from: String, to: String) throws -> LoRARecord? {
        try queue.write { db in
            guard var row = try LoRARecord.fetchOne(db, key: from) else {
                throw CatalogError.notFound(from)
            }
            if from == to { return nil }
            let replaced = try LoRARecord.fetchOne(db, key: to)
            if replaced != nil { _ = try LoRARecord.deleteOne(db, key: to) }
            _ = try LoRARecord.deleteOne(db, key: from)
            row.name = to
            try row.insert(db)
            return replaced
        }
    }

    @discardableResult
    public func delete(named name: String) throws -> LoRARecord? {
        try deleteRow(LoRARecord.self, key: name)
    }

    /// Deletes the row with primary key `key`; returns it if it existed.
    func deleteRow<Record: FetchableRecord & PersistableRecord & Sendable>(_ type: Record.Type, key: String) throws -> Record? {
        try queue.write { db in
            let old = try Record.fetchOne(db, key: key)
            if old != nil { _ = try Record.deleteOne(db, key: key) }
            return old
        }
    }
}

/// Failures of catalog operations that are not SQLite errors.
public enum CatalogError: Error, Sendable, Equatable {
    case notFound(String)
    case exists(String)
}

extension SQLiteCatalog {
    public func replaceAllLoRAs(with records: [LoRARecord]) throws {
        try queue.write { db in
            _ = try LoRARecord.deleteAll(db)
            for record in records { try record.insert(db) }
        }
    }

    public func allJobs() throws -> [JobRecord] {
        try queue.read { db in try JobRecord.order(Column("created_at")).fetchAll(db) }
    }

    public func insertJob(_ job: JobRecord) throws {
        try queue.write { db in
            if try JobRecord.exists(db, key: job.name) { throw CatalogError.exists(job.name) }
            try job.insert(db)
        }
    }

    public func updateJob(_ job: JobRecord) throws {
        try queue.write { db in try job.update(db) }
    }

    @discardableResult
    public func deleteJob(named name: String) throws -> JobRecord? {
        try deleteRow(JobRecord.self, key: name)
    }
}
