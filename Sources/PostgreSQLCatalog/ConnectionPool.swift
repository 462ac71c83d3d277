import Dispatch
import Synchronization

/// Up to `capacity` connections to one database, opened when first needed and reused.
///
/// A caller gets a connection to itself for one call (`run`); when all are taken it waits
/// for one, so a burst of FUSE workers cannot open more than `capacity` server processes.
final class ConnectionPool: Sendable {
    private let conninfo: String
    private let applicationName: String
    private let idle = Mutex<[PQConnection]>([])
    private let slots: DispatchSemaphore

    init(conninfo: String, applicationName: String, capacity: Int) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        slots = DispatchSemaphore(value: max(1, capacity))
    }

    /// A new connection (outside the pool for the listener), set up for the catalog:
    /// - `extra_float_digits = 3`: doubles come back exact (PostgreSQL's default since 12,
    ///   but a server configured otherwise would round `uploaded_at`);
    /// - `lock_timeout = 30s`, unless the URL sets one (`options=-c lock_timeout=...`): a
    ///   writer waiting for a workspace's version lock, held by a transaction that does not
    ///   end, fails `.busy` instead of holding its FUSE worker for ever.
    func connect(applicationName: String? = nil) throws(PQError) -> PQConnection {
        let connection = try PQConnection(conninfo: conninfo, applicationName: applicationName ?? self.applicationName)
        try connection.execute("""
            SELECT set_config('extra_float_digits', '3', false),
                   CASE WHEN current_setting('lock_timeout') = '0' THEN set_config('lock_timeout', $1, false) END
            """, [Self.defaultLockTimeout])
        return connection
    }

    static let defaultLockTimeout = "30s"

    /// Runs `body` on a connection of its own. A connection found lost is dropped with every
    /// idle one (a restarted server has broken them all), and `body` runs once more on a new
    /// connection if the failure came before COMMIT was sent: the server then rolled the
    /// transaction back, so nothing was applied twice. A loss during COMMIT is not retried.
    func run<T>(_ body: (PQConnection) throws -> T) throws -> T {
        slots.wait()
        defer { slots.signal() }
        var attempt = 1
        while true {
            let connection = try idle.withLock { $0.popLast() } ?? connect()
            do {
                let value = try body(connection)
                giveBack(connection)
                return value
            } catch let error as PQError where error.connectionLost {
                idle.withLock { $0.removeAll() }
                guard !error.outcomeUnknown, attempt < 2 else { throw error }
                attempt += 1
            } catch {
                giveBack(connection)
                throw error
            }
        }
    }

    private func giveBack(_ connection: PQConnection) {
        guard !connection.isBroken, connection.isIdle else { return }
        idle.withLock { $0.append(connection) }
    }
}
