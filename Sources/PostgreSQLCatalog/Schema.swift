/// The tables, their row-level security and their history, shared by every workspace of a
/// database (each row carries its `workspace`).
///
/// ```
/// lorafs_migrations   identifier (PK), applied_at           which migrations ran
/// lorafs_members      workspace, role_name (PK)             who may use a workspace
/// lorafs_workspaces   workspace (PK), version               the change version (the row writers lock)
/// lorafs_loras        workspace, name (PK), object_key (unique per workspace), the LoRARecord columns
/// lorafs_lora_changes workspace, name (PK), version (indexed) the change log, as SQLite's lora_changes
/// lorafs_jobs         workspace, name (PK), the JobRecord columns, poller, lease_until (who polls it, till when)
/// ```
///
/// Names and workspaces are `COLLATE "C"`: rows sort by their UTF-8 bytes, as SQLite sorts
/// them, whatever collation the database was created with.
///
/// Row-level security: a role sees and changes only the rows of the workspaces that
/// `lorafs_members` lists for it (`role_name = current_user`). It is ENABLEd and FORCEd on
/// the four data tables, so the owner of the tables (whoever ran the first migration) is
/// held to its memberships too; only superusers and `BYPASSRLS` roles see every workspace.
/// `lorafs_members` is ENABLEd but not FORCEd: a role reads its own memberships, the owner
/// reads and writes all of them; that is how memberships are managed.
///
/// Who runs what: the first catalog to connect to a database runs the migrations, so that
/// role must be allowed to create tables (an administrator, or the first mount's role,
/// which then owns the tables). Roles get nothing by themselves; the owner grants:
///
/// ```sql
/// GRANT SELECT ON lorafs_migrations, lorafs_members TO alice;
/// GRANT SELECT, INSERT, UPDATE, DELETE ON lorafs_workspaces, lorafs_loras, lorafs_lora_changes, lorafs_jobs TO alice;
/// INSERT INTO lorafs_members (workspace, role_name) VALUES ('team-a', 'alice');
/// ```
enum Schema {
    /// The history, oldest first. The identifiers are stored in `lorafs_migrations`: never
    /// rename one, only append.
    static let migrations: [(identifier: String, statements: [String])] = [
        ("v1: loras, jobs, change log, members, row level security", version1),
        ("v2: job leases", version2),
    ]

    /// The `pg_advisory_xact_lock` key that serializes migrations in a database ("lorafsmg").
    static let migrationLockKey = "7813589641167334759"

    /// Runs the migrations this database lacks. Cheap when it lacks none (one read, no lock);
    /// otherwise one transaction under the advisory lock, so two mounts starting at once
    /// migrate one after the other, and the second finds nothing left to do.
    static func migrate(_ connection: PQConnection) throws {
        if try applied(connection).isSuperset(of: migrations.map(\.identifier)) { return }
        try connection.transaction(.write) {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [migrationLockKey])
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS lorafs_migrations (
                    identifier text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
            // Read again under the lock: another mount may have migrated meanwhile.
            let done = try applied(connection)
            for migration in migrations where !done.contains(migration.identifier) {
                for statement in migration.statements { try connection.execute(statement) }
                try connection.execute("INSERT INTO lorafs_migrations (identifier) VALUES ($1)", [migration.identifier])
            }
        }
    }

    /// The identifiers of the migrations that ran (none if the table is not there).
    static func applied(_ connection: PQConnection) throws(PQError) -> Set<String> {
        let exists = try connection.execute("SELECT to_regclass('lorafs_migrations') IS NOT NULL")
        guard exists.rows.first?.first == "t" else { return [] }
        return Set(try connection.execute("SELECT identifier FROM lorafs_migrations").rows.compactMap { $0.first ?? nil })
    }

    /// The tables every policy guards.
    static let dataTables = ["lorafs_workspaces", "lorafs_loras", "lorafs_lora_changes", "lorafs_jobs"]

    /// A row is visible, and may be written, when its workspace lists the current role.
    static let membership = """
        workspace IN (SELECT m.workspace FROM lorafs_members AS m WHERE m.role_name = current_user)
        """

    private static let version1: [String] = [
        """
        CREATE TABLE lorafs_members (
            workspace text COLLATE "C" NOT NULL,
            role_name text COLLATE "C" NOT NULL,
            PRIMARY KEY (workspace, role_name))
        """,
        """
        CREATE TABLE lorafs_workspaces (
            workspace text COLLATE "C" PRIMARY KEY,
            version bigint NOT NULL DEFAULT 0 CHECK (version >= 0))
        """,
        """
        CREATE TABLE lorafs_loras (
            workspace text COLLATE "C" NOT NULL,
            name text COLLATE "C" NOT NULL,
            object_key text COLLATE "C" NOT NULL,
            size bigint NOT NULL,
            sha256 text NOT NULL,
            uploaded_at double precision NOT NULL,
            kind text NOT NULL,
            rank bigint,
            hidden_size bigint,
            has_image_cross_attention boolean NOT NULL DEFAULT false,
            timestep_range text,
            trigger_phrase text,
            base_model text,
            PRIMARY KEY (workspace, name),
            UNIQUE (workspace, object_key))
        """,
        """
        CREATE TABLE lorafs_lora_changes (
            workspace text COLLATE "C" NOT NULL,
            name text COLLATE "C" NOT NULL,
            version bigint NOT NULL,
            PRIMARY KEY (workspace, name))
        """,
        "CREATE INDEX lorafs_lora_changes_by_version ON lorafs_lora_changes (workspace, version)",
        """
        CREATE TABLE lorafs_jobs (
            workspace text COLLATE "C" NOT NULL,
            name text COLLATE "C" NOT NULL,
            spec text NOT NULL,
            backend text NOT NULL,
            backend_id text NOT NULL,
            status_url text,
            response_url text,
            cancel_url text,
            state text NOT NULL,
            error text,
            created_at double precision NOT NULL,
            updated_at double precision NOT NULL,
            output_key text,
            output_size bigint,
            PRIMARY KEY (workspace, name))
        """,
        "ALTER TABLE lorafs_members ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY lorafs_own_memberships ON lorafs_members FOR SELECT USING (role_name = current_user)",
    ] + dataTables.flatMap { table in
        [
            "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE \(table) FORCE ROW LEVEL SECURITY",
            "CREATE POLICY lorafs_workspace_members ON \(table) USING (\(membership)) WITH CHECK (\(membership))",
        ]
    }

    /// The mount that polls a job and until when (seconds since 1970, by the server's clock).
    private static let version2: [String] = [
        "ALTER TABLE lorafs_jobs ADD COLUMN poller text, ADD COLUMN lease_until double precision",
    ]
}
