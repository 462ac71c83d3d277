import Catalog
import Foundation
import GRDB
import SQLiteCatalog
import Testing

/// Writes a catalog as lorafs wrote it before the change log (migrations v1 and
/// v2), in raw SQL so that it stays what those versions made whatever the
/// migrator becomes.
private func writeVersion2Catalog(at path: String) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
        try db.execute(sql: """
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1: loras'), ('v2: lora summaries, jobs');
            CREATE TABLE loras (name TEXT PRIMARY KEY, object_key TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
                sha256 TEXT NOT NULL, uploaded_at DOUBLE NOT NULL, kind TEXT NOT NULL, rank INTEGER,
                hidden_size INTEGER, has_image_cross_attention BOOLEAN NOT NULL DEFAULT 0,
                timestep_range TEXT, trigger_phrase TEXT, base_model TEXT);
            CREATE TABLE jobs (name TEXT PRIMARY KEY, spec TEXT NOT NULL, backend TEXT NOT NULL,
                backend_id TEXT NOT NULL, status_url TEXT, response_url TEXT, cancel_url TEXT, state TEXT NOT NULL,
                error TEXT, created_at DOUBLE NOT NULL, updated_at DOUBLE NOT NULL, output_key TEXT, output_size INTEGER);
            INSERT INTO loras (name, object_key, size, sha256, uploaded_at, kind, rank, hidden_size)
                VALUES ('old.safetensors', 'workspaces/t/loras/old.safetensors', 10, '\(String(repeating: "a", count: 64))',
                        1700000000.5, 'safetensors', 32, 5120);
            INSERT INTO jobs (name, spec, backend, backend_id, state, created_at, updated_at)
                VALUES ('boat', '{}', 'local', 'id-1', 'queued', 1, 1);
            """)
    }
}

@Test func aVersion2CatalogMigratesAndKeepsItsRows() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("catalog.sqlite").path
    try writeVersion2Catalog(at: path)

    var old = record("old.safetensors")
    old.rank = 32
    old.hiddenSize = 5120
    let catalog: any LoRACatalog = try SQLiteCatalog(path: path)
    #expect(try catalog.allLoRAs() == [old])
    #expect(try catalog.allJobs().map(\.name) == ["boat"])
    // The rows from before the log are the changes since 0.
    #expect(try catalog.changes(since: 0) == CatalogChanges(version: 1, upserted: [old], deleted: []))

    try catalog.delete(named: "old.safetensors")
    let reopened: any LoRACatalog = try SQLiteCatalog(path: path)
    #expect(try reopened.changes(since: 1) == CatalogChanges(version: 2, upserted: [], deleted: ["old.safetensors"]))
}

/// The `.engine` failure `body` throws, or nil (the test then fails on it).
private func sqliteEngineFailure(_ body: () throws -> Void) -> (operation: String, code: Int32, message: String)? {
    do {
        try body()
    } catch let CatalogError.engine(operation, code, message) {
        return (operation, code, message)
    } catch {
        Issue.record("expected CatalogError.engine, got \(type(of: error)): \(error)")
    }
    return nil
}

@Test func aFileThatIsNotADatabaseIsACatalogError() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("catalog.sqlite").path
    try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))

    let failure = sqliteEngineFailure { _ = try SQLiteCatalog(path: path) }
    #expect(failure?.code == 26)  // SQLITE_NOTADB
    #expect(failure?.message == "file is not a database")
}

@Test func aCatalogPathThatCannotBeOpenedIsACatalogError() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }

    let failure = sqliteEngineFailure { _ = try SQLiteCatalog(path: dir.appendingPathComponent("missing/catalog.sqlite").path) }
    #expect(failure?.operation == "open")
    #expect(failure?.code == 14)  // SQLITE_CANTOPEN
}

@Test func aConstraintViolationIsACatalogErrorWithTheExtendedCode() throws {
    let catalog = try SQLiteCatalog()
    try catalog.upsert(record("a.safetensors", key: "k"))
    let failure = sqliteEngineFailure { try catalog.upsert(record("b.safetensors", key: "k")) }
    #expect(failure?.operation == "upsert")
    #expect(failure?.code == 2067)  // SQLITE_CONSTRAINT_UNIQUE
    #expect(try catalog.allLoRAs() == [record("a.safetensors", key: "k")])
}

@Test func aCatalogDamagedUnderneathFailsAsACatalogError() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("catalog.sqlite").path
    let catalog: any LoRACatalog = try SQLiteCatalog(path: path)
    try DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TABLE loras") }

    let failure = sqliteEngineFailure { _ = try catalog.allLoRAs() }
    #expect(failure?.operation == "list LoRAs")
    #expect(failure?.code == 1)  // SQLITE_ERROR
    #expect(failure?.message == "no such table: loras")
}

@Test func catalogErrorsReadAsSentences() {
    #expect(CatalogError.engine(operation: "upsert", code: 5, message: "database is locked").description
        == "catalog upsert failed: database is locked (result code 5)")
    #expect(CatalogError.conflict(name: "a.ckpt", expected: nil, found: "k").description
        == "\"a.ckpt\" changed in the catalog meanwhile: expected no row, found object k")
}
