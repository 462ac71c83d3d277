import Foundation
import GRDB

/// The default catalog: one SQLite file per workspace (`STATE_DIR/catalog.sqlite`),
/// in WAL mode with a busy timeout, so `lorafs ls` can read while a mount writes.
public final class SQLiteCatalog: LoRACatalog {
    private let queue: DatabaseQueue

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
        try queue.write { db in
            let old = try LoRARecord.fetchOne(db, key: name)
            if old != nil { _ = try LoRARecord.deleteOne(db, key: name) }
            return old
        }
    }
}

/// Failures of catalog operations that are not SQLite errors.
public enum CatalogError: Error, Sendable, Equatable {
    case notFound(String)
}
