import Catalog

/// A catalog shared by every mount of a workspace: one PostgreSQL database holds many
/// workspaces, each row tagged with its own, and row-level security keeps a role to the
/// workspaces `lorafs_members` lists for it (see `Schema`).
///
/// Why libpq, through C, and not postgres-nio: lorafs calls its catalog on libfuse's own
/// worker threads and on threads of its own, and blocks them on purpose; it never runs on
/// Swift's cooperative pool. libpq's blocking calls fit that model as they are, where an
/// event-loop client would need a bridge from every blocking caller into its loop and back.
/// libpq is also one Debian package (`libpq-dev`) and no Swift package: postgres-nio would
/// bring SwiftNIO and its friends, minutes more of every CI build. Every libpq call is in
/// `PQConnection`; this module's other types see Swift values only.
///
/// The semantics are `LoRACatalog`'s, as `SQLiteCatalog` implements them: one transaction
/// per mutation, change versions, `changes(since:)` that never misses a change committed by
/// any connection (`ChangeLog` explains how the versions follow commit order), conditional
/// updates that throw `CatalogError.conflict`. Failures are `CatalogError`s: `.busy` for a
/// serialization failure, a deadlock or a lock timeout (try again), `.exists` for a job
/// name taken, and `.engine` for the rest, `code` being the SQLSTATE (`SQLState`).
///
/// Connections: a pool of at most `maximumConnections`, opened when needed. A connection
/// found lost (a server restart, `pg_terminate_backend`) is replaced, and the call is run
/// again on the new one unless the loss came during COMMIT, whose outcome is then unknown
/// (`.engine` with SQLSTATE 08007). `startListening(onChange:)` follows other mounts'
/// changes through LISTEN/NOTIFY on a connection and thread of its own.
public final class PostgreSQLCatalog: LoRACatalog {
    /// The workspace whose rows this catalog reads and writes.
    public let workspace: String
    let pool: ConnectionPool
    let changeLog: ChangeLog

    /// Connects to the database at `url` (a `postgresql://` URL or a libpq `key=value`
    /// string), migrates its schema if needed and checks that the role may use `workspace`.
    /// Throws `CatalogError.engine` when the server cannot be reached (SQLSTATE 08001),
    /// when the role may not migrate a database that needs it, or when it is no member of
    /// the workspace (42501).
    public init(url: String, workspace: String, maximumConnections: Int = 8) throws {
        guard !workspace.isEmpty else {
            throw CatalogError.engine(operation: "open", code: SQLState.resultCode(SQLState.invalidParameterValue),
                                      message: "the workspace name is empty [SQLSTATE \(SQLState.invalidParameterValue)]")
        }
        self.workspace = workspace
        pool = ConnectionPool(conninfo: url, applicationName: "lorafs", capacity: maximumConnections)
        changeLog = ChangeLog(workspace: workspace, channel: NotifyChannel(workspace: workspace))
        // Connect first, so that an unreachable server fails `open`, not `migrate`; the
        // connection then waits in the pool for the next step.
        try Self.engine("open") { try pool.run { _ in } }
        try Self.engine("migrate") { try pool.run { connection in try Schema.migrate(connection) } }
        try Self.engine("open") { try pool.run { connection in try checkMembership(connection) } }
    }

    /// Follows the workspace: `onChange` runs (on the listener's own thread) after every
    /// transaction that changed a LoRA row (`.loras`) or a job row (`.jobs`) of the workspace
    /// commits, whoever made it, this catalog included; then `changes(since:)` or `allJobs()`
    /// tells what changed. It also runs (with both) once the
    /// listener is connected, and again after every reconnection (retried with back-off
    /// from 0.1 s to 5 s), because a change may have been missed while it was not: a
    /// caller that answers every call with `changes(since:)` misses nothing.
    public func startListening(onChange: @escaping @Sendable (CatalogEvents) -> Void) -> ChangeSubscription {
        ChangeSubscription(pool: pool, channel: changeLog.channel, onChange: onChange)
    }

    /// Every mount of the workspace writes it.
    public var isShared: Bool { true }

    /// `startListening(onChange:)`, for a mount that sees the catalog as a `LoRACatalog`.
    public func startFollowing(onChange: @escaping @Sendable (CatalogEvents) -> Void) -> (any CatalogFollowing)? {
        startListening(onChange: onChange)
    }

    /// Runs `body` on a pooled connection, outside any transaction (a single statement: one snapshot).
    func query<T>(_ operation: String, _ body: (PQConnection) throws -> T) throws -> T {
        try Self.engine(operation) { try pool.run(body) }
    }

    /// Runs `body` in a read-only REPEATABLE READ transaction: every statement sees one snapshot.
    func read<T>(_ operation: String, _ body: (PQConnection) throws -> T) throws -> T {
        try Self.engine(operation) {
            try pool.run { connection in try connection.transaction(.snapshot) { try body(connection) } }
        }
    }

    /// Runs `body` in a READ COMMITTED transaction. Bodies that change LoRA rows lock the
    /// workspace's version first (`ChangeLog.lockVersion`).
    func write<T>(_ operation: String, _ body: (PQConnection) throws -> T) throws -> T {
        try Self.engine(operation) {
            try pool.run { connection in try connection.transaction(.write) { try body(connection) } }
        }
    }

    /// The module boundary for errors: `CatalogError`s pass through, libpq's become
    /// `.busy` or `.engine` with their SQLSTATE.
    static func engine<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CatalogError {
            throw error
        } catch let error as PQError {
            throw catalogError(error, operation: operation)
        } catch {
            throw CatalogError.engine(operation: operation, code: SQLState.resultCode(SQLState.internalError),
                                      message: "\(error) [SQLSTATE \(SQLState.internalError)]")
        }
    }

    static func catalogError(_ error: PQError, operation: String) -> CatalogError {
        switch error.sqlState {
        case SQLState.serializationFailure, SQLState.deadlockDetected, SQLState.lockNotAvailable:
            return .busy(operation: operation, message: "\(error.message) [SQLSTATE \(error.sqlState)]")
        case SQLState.diskFull:
            return .noSpace(operation: operation, message: "\(error.message) [SQLSTATE \(error.sqlState)]")
        case SQLState.readOnlySQLTransaction:
            return .readOnly(operation: operation, message: "\(error.message) [SQLSTATE \(error.sqlState)]")
        default:
            return .engine(operation: operation, code: SQLState.resultCode(error.sqlState),
                           message: "\(error.message) [SQLSTATE \(error.sqlState)]")
        }
    }

    /// Superusers and `BYPASSRLS` roles see every workspace; any other role must be listed
    /// in `lorafs_members`, or it would find the workspace empty and fail every write.
    private func checkMembership(_ connection: PQConnection) throws {
        let allowed = try connection.execute("""
            SELECT COALESCE((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user), false)
                OR EXISTS (SELECT 1 FROM lorafs_members WHERE workspace = $1 AND role_name = current_user),
                current_user
            """, [workspace])
        guard let row = allowed.rows.first, row.first == "t" else {
            let role = allowed.rows.first?.last.flatMap { $0 } ?? "?"
            throw PQError(sqlState: SQLState.insufficientPrivilege, message: """
                role "\(role)" is not a member of workspace "\(workspace)": the owner of the tables must add \
                the row (workspace "\(workspace)", role_name "\(role)") to lorafs_members
                """, connectionLost: false)
        }
    }
}
