import Catalog
import Foundation
import PostgreSQLCatalog
import Testing

/// Grants a role what a mount needs (the statements `Schema` documents) and a membership.
private func admit(_ role: String, to workspace: String, database: String, cluster: PostgreSQLCluster) throws {
    try cluster.psql("""
        GRANT SELECT ON lorafs_migrations, lorafs_members TO \(role);
        GRANT SELECT, INSERT, UPDATE, DELETE ON lorafs_workspaces, lorafs_loras, lorafs_lora_changes, lorafs_jobs TO \(role);
        INSERT INTO lorafs_members (workspace, role_name) VALUES ('\(workspace)', '\(role)');
        """, database: database)
}

/// What `sql` (an UPDATE or DELETE ... RETURNING 1) touched, as `role`.
private func touched(_ sql: String, as role: String, database: String, cluster: PostgreSQLCluster) throws -> String {
    try cluster.psql("WITH touched AS (\(sql) RETURNING 1) SELECT count(*) FROM touched", database: database, user: role)
}

@Test func eachRoleSeesAndChangesOnlyTheRowsOfItsWorkspace() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase("rls")
    _ = try makePostgreSQLCatalog(workspace: "setup", database: database)  // the superuser migrates: it owns the tables
    let (alice, bob) = ("alice_\(database)", "bob_\(database)")
    try cluster.psql("CREATE ROLE \(alice) LOGIN; CREATE ROLE \(bob) LOGIN")
    try admit(alice, to: "team-a", database: database, cluster: cluster)
    try admit(bob, to: "team-b", database: database, cluster: cluster)

    let aliceCatalog = try makePostgreSQLCatalog(workspace: "team-a", database: database, user: alice)
    let bobCatalog = try makePostgreSQLCatalog(workspace: "team-b", database: database, user: bob)
    try aliceCatalog.upsert(record("a.safetensors"))
    try aliceCatalog.insertJob(job("a-job"))
    try bobCatalog.upsert(record("b.safetensors"))
    try bobCatalog.insertJob(job("b-job"))

    // The catalog refuses a workspace the role is no member of, saying why.
    let refused = engineFailure { _ = try makePostgreSQLCatalog(workspace: "team-b", database: database, user: alice) }
    #expect(refused?.operation == "open")
    #expect(refused?.sqlState == "42501")
    #expect(refused?.message.contains("not a member of workspace \"team-b\"") == true)

    // Below the catalog, in plain SQL: alice sees her workspace's rows only...
    for table in ["lorafs_loras", "lorafs_lora_changes", "lorafs_jobs", "lorafs_workspaces"] {
        #expect(try cluster.psql("SELECT DISTINCT workspace FROM \(table)", database: database, user: alice) == "team-a", "\(table)")
    }
    #expect(try cluster.psql("SELECT workspace || ':' || role_name FROM lorafs_members", database: database, user: alice)
        == "team-a:\(alice)")
    // ...changes none of bob's...
    #expect(try touched("UPDATE lorafs_loras SET size = 0 WHERE workspace = 'team-b'", as: alice, database: database, cluster: cluster) == "0")
    #expect(try touched("DELETE FROM lorafs_loras WHERE workspace = 'team-b'", as: alice, database: database, cluster: cluster) == "0")
    #expect(try touched("DELETE FROM lorafs_jobs WHERE workspace = 'team-b'", as: alice, database: database, cluster: cluster) == "0")
    #expect(try touched("UPDATE lorafs_workspaces SET version = 0", as: alice, database: database, cluster: cluster) == "1")  // her own row only
    try cluster.psql("UPDATE lorafs_workspaces SET version = 1", database: database, user: alice)  // put it back
    // ...cannot write into bob's workspace, nor move her rows there, nor join it.
    for sql in [
        "INSERT INTO lorafs_loras (workspace, name, object_key, size, sha256, uploaded_at, kind) VALUES ('team-b', 'x', 'k', 1, 's', 1, 'ckpt')",
        "UPDATE lorafs_loras SET workspace = 'team-b'",
        "INSERT INTO lorafs_lora_changes (workspace, name, version) VALUES ('team-b', 'x', 99)",
        "INSERT INTO lorafs_workspaces (workspace, version) VALUES ('team-c', 5)",
    ] {
        #expect("\(sql)") {
            try cluster.psql(sql, database: database, user: alice)
        } throws: { "\($0)".contains("new row violates row-level security policy") }
    }
    #expect {
        try cluster.psql("INSERT INTO lorafs_members VALUES ('team-b', '\(alice)')", database: database, user: alice)
    } throws: { "\($0)".contains("permission denied") }

    // Bob's workspace is as he left it.
    #expect(try bobCatalog.allLoRAs() == [record("b.safetensors")])
    #expect(try bobCatalog.allJobs() == [job("b-job")])
    #expect(try bobCatalog.changes(since: 0) == CatalogChanges(version: 1, upserted: [record("b.safetensors")], deleted: []))
    #expect(try aliceCatalog.allLoRAs() == [record("a.safetensors")])
}

@Test func theOwnerOfTheTablesIsHeldToItsMembershipsToo() throws {
    let cluster = try PostgreSQLCluster.shared()
    let owner = "owner_\(UInt32.random(in: 0...UInt32.max))"
    try cluster.psql("CREATE ROLE \(owner) LOGIN")
    let database = try cluster.freshDatabase("force", options: "OWNER \(owner)")

    // The first mount migrates (the owner of the database may create tables), then finds it is no member.
    let refused = engineFailure { _ = try makePostgreSQLCatalog(workspace: "mine", database: database, user: owner) }
    #expect(refused?.sqlState == "42501")
    #expect(try cluster.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'lorafs_loras'", database: database) == owner)

    // Memberships are the owner's to manage (not FORCEd); the rows of other workspaces stay hidden from it.
    try cluster.psql("INSERT INTO lorafs_members VALUES ('mine', '\(owner)')", database: database, user: owner)
    try makePostgreSQLCatalog(workspace: "theirs", database: database).upsert(record("theirs.safetensors"))
    let mine = try makePostgreSQLCatalog(workspace: "mine", database: database, user: owner)
    try mine.upsert(record("mine.safetensors"))
    #expect(try mine.allLoRAs() == [record("mine.safetensors")])
    #expect(try cluster.psql("SELECT string_agg(name, ',') FROM lorafs_loras", database: database, user: owner) == "mine.safetensors")
    #expect(try cluster.psql("SELECT string_agg(name, ',' ORDER BY name) FROM lorafs_loras", database: database)
        == "mine.safetensors,theirs.safetensors")
}
