import Catalog
import Dispatch
import Foundation
import PostgreSQLCatalog
import Testing

@Test func migrationsRunOnceWhenManyMountsStartAtOnce() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase("migrate")
    let tally = Tally()
    DispatchQueue.concurrentPerform(iterations: 4) { _ in
        do {
            let catalog = try makePostgreSQLCatalog(database: database)
            try catalog.upsert(record("a.safetensors"))
            tally.add("opened")
        } catch {
            tally.add("failure: \(error)")
        }
    }
    #expect(tally.all == ["opened": 4])
    let migrations = try cluster.psql("SELECT identifier FROM lorafs_migrations ORDER BY identifier", database: database)
    #expect(migrations.split(separator: "\n").map { $0.prefix(3) } == ["v1:", "v2:"])

    // And again, on a migrated database: nothing to do, nothing lost.
    let again = try makePostgreSQLCatalog(database: database)
    #expect(try again.allLoRAs().isEmpty)
    #expect(try cluster.psql("SELECT identifier FROM lorafs_migrations ORDER BY identifier", database: database) == migrations)
    #expect(try cluster.psql("SELECT count(*) FROM lorafs_loras", database: database) == "4")

    // Row-level security as documented: forced on the data tables, not on the memberships.
    let security = try cluster.psql("""
        SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
        WHERE relname LIKE 'lorafs\\_%' AND relkind = 'r' ORDER BY relname
        """, database: database)
    #expect(security.split(separator: "\n") == [
        "lorafs_jobs|t|t", "lorafs_lora_changes|t|t", "lorafs_loras|t|t", "lorafs_members|t|f",
        "lorafs_migrations|f|f", "lorafs_workspaces|t|t",
    ])
}

@Test func aKilledConnectionIsReplacedAndTheCallSucceeds() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase("kill")
    let catalog = try makePostgreSQLCatalog(database: database, maximumConnections: 2)
    try catalog.upsert(record("a.safetensors"))
    let before = try cluster.backends(database: database, applicationName: "lorafs")
    #expect(!before.isEmpty)

    #expect(try cluster.terminateBackends(database: database, applicationName: "lorafs") == before.count)
    // A write on the dead connection: retried on a new one, applied once.
    try catalog.upsert(record("b.safetensors"))
    #expect(try catalog.changeVersion() == 2)
    #expect(try catalog.allLoRAs() == [record("a.safetensors"), record("b.safetensors")])
    let after = try cluster.backends(database: database, applicationName: "lorafs")
    #expect(!after.isEmpty)
    #expect(after.isDisjoint(with: before))

    // And a read on one.
    #expect(try cluster.terminateBackends(database: database, applicationName: "lorafs") == after.count)
    #expect(try catalog.changes(since: 1).upserted == [record("b.safetensors")])
}

@Test func anUnreachableServerIsAnEngineError() throws {
    let failure = engineFailure {
        _ = try PostgreSQLCatalog(url: "postgresql://postgres@127.0.0.1:1/lorafs?connect_timeout=2", workspace: "w")
    }
    #expect(failure?.operation == "open")
    #expect(failure?.sqlState == "08001")
    #expect(failure?.message.contains("127.0.0.1") == true)
}

@Test func anEmptyWorkspaceNameIsRefused() throws {
    let cluster = try PostgreSQLCluster.shared()
    let failure = engineFailure { _ = try PostgreSQLCatalog(url: cluster.url(), workspace: "") }
    #expect(failure?.sqlState == "22023")
}

@Test func aNulInAValueIsRefusedBeforeItIsCutShort() throws {
    let catalog = try makePostgreSQLCatalog()
    let failure = engineFailure { try catalog.upsert(record("a\u{0}b.safetensors")) }
    #expect(failure?.operation == "upsert")
    #expect(failure?.sqlState == "22021")
    #expect(try catalog.allLoRAs().isEmpty)
    #expect(try catalog.lora(named: "a") == nil)
    #expect(try catalog.changeVersion() == 0)
}

@Test func aConstraintViolationIsAnEngineErrorWithItsSQLState() throws {
    let catalog = try makePostgreSQLCatalog()
    try catalog.upsert(record("a.safetensors", key: "k"))
    let failure = engineFailure { try catalog.upsert(record("b.safetensors", key: "k")) }
    #expect(failure?.operation == "upsert")
    #expect(failure?.sqlState == "23505")
    #expect(failure?.message.hasSuffix("[SQLSTATE 23505]") == true)
    #expect(try catalog.allLoRAs() == [record("a.safetensors", key: "k")])
}

@Test func aTableDroppedUnderneathIsAnEngineError() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase("drop")
    let catalog = try makePostgreSQLCatalog(database: database)
    try cluster.psql("DROP TABLE lorafs_loras", database: database)
    let failure = engineFailure { _ = try catalog.allLoRAs() }
    #expect(failure?.operation == "list LoRAs")
    #expect(failure?.sqlState == "42P01")  // undefined_table
    #expect(failure?.message.contains("lorafs_loras") == true)
}

/// A writer waits for the workspace's version lock; one that may not wait (lock_timeout) is `.busy`.
@Test func aWriterThatCannotGetTheVersionLockIsBusy() throws {
    let cluster = try PostgreSQLCluster.shared()
    let workspace = freshWorkspace()
    let catalog = try makePostgreSQLCatalog(workspace: workspace)
    try catalog.upsert(record("a.safetensors"))
    let impatient = try PostgreSQLCatalog(url: cluster.url() + "?options=-c%20lock_timeout%3D200", workspace: workspace)

    let holder = Thread {
        _ = try? cluster.psql("""
            BEGIN; SELECT version FROM lorafs_workspaces WHERE workspace = '\(workspace)' FOR UPDATE;
            SELECT pg_sleep(2); COMMIT;
            """, database: cluster.sharedDatabase)
    }
    holder.start()
    var holding = false
    for _ in 0..<100 where !holding {
        holding = try cluster.psql("""
            SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND state = 'active' AND pid <> pg_backend_pid()
            """) == "1"
        if !holding { usleep(50_000) }
    }
    #expect(holding)
    #expect {
        try impatient.upsert(record("b.safetensors"))
    } throws: { error in
        guard case CatalogError.busy(let operation, let message) = error else { return false }
        return operation == "upsert" && message.hasSuffix("[SQLSTATE 55P03]")
    }
    // A patient writer waits for the lock and then takes the next version.
    try catalog.upsert(record("c.safetensors"))
    #expect(try catalog.changeVersion() == 2)
    #expect(try catalog.allLoRAs().map(\.name) == ["a.safetensors", "c.safetensors"])
}

@Test func sqlStatesPackIntoResultCodesAndBack() {
    for state in ["23505", "40001", "40P01", "08001", "42P01", "XX000", "ZZZZZ", "00000"] {
        #expect(SQLState.sqlState(ofResultCode: SQLState.resultCode(state)) == state)
    }
    #expect(SQLState.resultCode("00000") == 0)
    #expect(Set(["23505", "23503", "32505"].map(SQLState.resultCode)).count == 3)
    #expect(CatalogError.busy(operation: "upsert", message: "could not obtain lock [SQLSTATE 55P03]").description
        == "catalog upsert could not run now: could not obtain lock [SQLSTATE 55P03]")
}

/// The session settings the catalog relies on are its own, whatever the database's defaults.
@Test func aLatin1DatabaseThatRoundsFloatsStillRoundTripsEveryValue() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase("latin1", options: "TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C'")
    try cluster.psql("ALTER DATABASE \(database) SET extra_float_digits = 0")
    #expect(try cluster.psql("SELECT 1700000000.123456789::float8", database: database) == "1700000000.12346")
    let catalog = try makePostgreSQLCatalog(database: database)
    var row = record("café-über.safetensors")
    row.uploadedAt = 1_700_000_000.123456789
    row.triggerPhrase = "à la façon de"
    try catalog.upsert(row)
    #expect(try catalog.lora(named: "café-über.safetensors") == row)
    #expect(try catalog.allLoRAs() == [row])
}
