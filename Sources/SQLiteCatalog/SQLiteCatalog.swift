import Catalog
import Foundation
import GRDB

/// The default catalog: one SQLite file per workspace (`STATE_DIR/catalog.sqlite`),
/// in WAL mode with a busy timeout, so `lorafs ls` can read while a mount writes.
///
/// This is the only module that knows GRDB: every GRDB or SQLite error is turned
/// into a `CatalogError` before it leaves a public method.
public final class SQLiteCatalog: LoRACatalog {
    let queue: DatabaseQueue

    /// Opens (creating if needed) the catalog at `path` and migrates its schema.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.journalMode = .wal
        queue = try Self.engine("open") { try DatabaseQueue(path: path, configuration: configuration) }
        try Self.engine("migrate") { try Self.migrator.migrate(queue) }
    }

    /// Opens an in-memory catalog (tests).
    public init() throws {
        queue = try Self.engine("open") { try DatabaseQueue() }
        try Self.engine("migrate") { try Self.migrator.migrate(queue) }
    }

    /// Runs `body` in a read transaction (one snapshot), errors as `CatalogError`.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        try Self.engine(operation) { try queue.read(body) }
    }

    /// Runs `body` in an immediate write transaction, errors as `CatalogError`.
    /// Immediate (GRDB's default for writes) matters: a conditional update reads,
    /// then writes, and must hold the write lock from its read on.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        try Self.engine(operation) { try queue.write(body) }
    }

    /// The module boundary for errors: `CatalogError`s thrown inside pass through,
    /// everything GRDB throws becomes a `CatalogError`: busy, full and read-only
    /// databases their own cases, the rest `.engine` with SQLite's extended result code.
    static func engine<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CatalogError {
            throw error
        } catch let error as DatabaseError {
            let message = error.message ?? "\(error.resultCode)"
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: throw CatalogError.busy(operation: operation, message: message)
            case .SQLITE_FULL: throw CatalogError.noSpace(operation: operation, message: message)
            case .SQLITE_READONLY: throw CatalogError.readOnly(operation: operation, message: message)
            default: throw CatalogError.engine(operation: operation, code: error.extendedResultCode.rawValue, message: message)
            }
        } catch {
            // Not an SQLite failure but GRDB's (a row it cannot decode, a record it
            // cannot find): reported as SQLITE_MISMATCH, the nearest SQLite code.
            throw CatalogError.engine(operation: operation, code: ResultCode.SQLITE_MISMATCH.rawValue,
                                      message: "\(error)")
        }
    }

    /// The schema's history. The names are stored in existing files
    /// (`grdb_migrations`): never rename one, only append.
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
        migrator.registerMigration("v3: change log") { db in
            // One row per name ever changed, holding the version of its latest
            // change; whether that change left a row or removed it is read from
            // `loras` itself. See SQLiteCatalog+Changes.swift.
            try db.create(table: ChangeLog.table) { t in
                t.column("name", .text).primaryKey()
                t.column("version", .integer).notNull().indexed()
            }
            // Rows from before the log count as changed at version 1, so that
            // `changes(since: 0)` is the whole catalog for old files as for new.
            try db.execute(sql: "INSERT INTO \(ChangeLog.table) (name, version) SELECT name, 1 FROM loras")
        }
        migrator.registerMigration("v4: job leases") { db in
            // Which mount polls a job, and until when (seconds since 1970).
            try db.alter(table: "jobs") { t in
                t.add(column: "poller", .text)
                t.add(column: "lease_until", .double)
            }
        }
        return migrator
    }
}
