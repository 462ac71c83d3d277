import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// A failure of libpq or of the server, as the wrapper reports it.
struct PQError: Error, Sendable {
    /// The five-character SQLSTATE: the server's, or, when libpq failed on its own, the one
    /// that says what happened (08001 no connection, 08006 connection lost, 08007 lost at
    /// COMMIT, 22021 a NUL in a value).
    var sqlState: String
    /// The server's primary message, or libpq's own.
    var message: String
    /// The connection is unusable: it must be dropped, and a transaction that was open on it
    /// was rolled back by the server.
    var connectionLost: Bool
    /// The connection was lost while COMMIT was on its way: the transaction may or may not
    /// have been applied, so it must not be retried blindly.
    var outcomeUnknown = false
}

/// The rows of one statement, every value in PostgreSQL's text format (nil for SQL NULL).
struct PQRows {
    var rows: [[String?]]
    /// For INSERT, UPDATE and DELETE: the rows they touched (`PQcmdTuples`).
    var affectedRows: Int
}

/// One notification received on a channel the connection listens to.
struct PQNotification {
    var channel: String
    /// What the sender passed to `pg_notify` (the catalog sends its new version).
    var payload: String
}

/// One libpq connection (`PGconn *`): the only place in lorafs that calls libpq.
///
/// Every statement goes through `execute(_:_:)`, which is `PQexecParams` with text parameters:
/// values never become part of SQL text. A connection is not thread-safe: it is used by one
/// thread at a time (`ConnectionPool` hands it out exclusively, the listener owns its own).
final class PQConnection: @unchecked Sendable {
    private let connection: OpaquePointer

    /// Connects with `conninfo`, a `postgresql://` URL or a `key=value` string. The defaults
    /// given here (a 10 s connect timeout, keepalives that notice a vanished server within
    /// about a minute) yield to whatever `conninfo` says; the client encoding is always UTF-8.
    /// The corresponding C function is `PQconnectdbParams`.
    init(conninfo: String, applicationName: String) throws(PQError) {
        let settings: [(String, String)] = [
            ("connect_timeout", "10"),
            ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
            ("tcp_user_timeout", "60000"),
            ("application_name", applicationName),
            // Expanded (`expand_dbname`): what the URL sets overrides the defaults above...
            ("dbname", conninfo),
            // ...but not this: every String in and out is UTF-8, whatever the database's encoding.
            ("client_encoding", "UTF8"),
        ]
        guard !settings.contains(where: { $0.1.utf8.contains(0) }) else {
            throw PQError(sqlState: SQLState.unableToConnect, message: "the connection string contains a NUL character",
                          connectionLost: true)
        }
        let keywords = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let connection = PQconnectdbParams(keywordPointers, valuePointers, 1) else {
            throw PQError(sqlState: SQLState.unableToConnect, message: "out of memory", connectionLost: true)
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw PQError(sqlState: SQLState.unableToConnect, message: message, connectionLost: true)
        }
        // libpq prints NOTICEs (`CREATE ... IF NOT EXISTS` skipping) to stderr by default.
        _ = PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// The connection can no longer be used (`PQstatus` is not `CONNECTION_OK`).
    var isBroken: Bool { PQstatus(connection) != CONNECTION_OK }

    /// Idle, outside any transaction: fit to be handed to another caller.
    var isIdle: Bool { PQtransactionStatus(connection) == PQTRANS_IDLE }

    /// Runs one SQL statement with `parameters` bound to `$1`, `$2`, ... in text format (nil is
    /// NULL), and returns its rows. The corresponding C function is `PQexecParams`.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(PQError) -> PQRows {
        // A C string ends at its first NUL: such a value would reach the server cut short.
        // PostgreSQL's text cannot hold NUL anyway; this is the error it would give.
        if parameters.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PQError(sqlState: SQLState.characterNotInRepertoire,
                          message: "a value contains a NUL character, which PostgreSQL text cannot hold", connectionLost: false)
        }
        let values = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { values.forEach { free($0) } }
        let pointers = values.map { UnsafePointer($0) }
        let result = PQexecParams(connection, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        guard let result else {
            throw PQError(sqlState: isBroken ? SQLState.connectionFailure : SQLState.internalError,
                          message: Self.trimmed(PQerrorMessage(connection)), connectionLost: isBroken)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return Self.rows(of: result)
        default:
            let sqlState = lorafs_pq_sqlstate(result).map { String(cString: $0) }
                ?? (isBroken ? SQLState.connectionFailure : SQLState.internalError)
            let message = lorafs_pq_primary_message(result).map { String(cString: $0) }
                ?? Self.trimmed(PQresultErrorMessage(result))
            // The server's own word that it is closing the connection counts even before libpq noticed.
            let closing = sqlState.hasPrefix("08") || SQLState.serverClosing.contains(sqlState)
            throw PQError(sqlState: sqlState, message: message, connectionLost: isBroken || closing)
        }
    }

    /// How a transaction reads and writes.
    enum TransactionKind {
        /// READ COMMITTED, read-write: every statement sees what committed before it started,
        /// so a statement that waited for a row lock then sees the rows its holder wrote.
        case write
        /// REPEATABLE READ, read-only: every statement sees one snapshot.
        case snapshot
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back if it throws. A connection lost at
    /// COMMIT is reported with `outcomeUnknown`: the server may have committed.
    /// The isolation level is always explicit, whatever `default_transaction_isolation` says.
    func transaction<T>(_ kind: TransactionKind, _ body: () throws -> T) throws -> T {
        switch kind {
        case .write: try execute("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
        case .snapshot: try execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        let value: T
        do {
            value = try body()
        } catch {
            if !isBroken { _ = try? execute("ROLLBACK") }
            throw error
        }
        // COMMIT of a failed transaction answers ROLLBACK without an error: never get there.
        guard PQtransactionStatus(connection) == PQTRANS_INTRANS else {
            if !isBroken { _ = try? execute("ROLLBACK") }
            throw PQError(sqlState: SQLState.inFailedTransaction, message: "the transaction failed before COMMIT",
                          connectionLost: isBroken)
        }
        do {
            try execute("COMMIT")
        } catch {
            var failure = error
            if failure.connectionLost {
                failure.outcomeUnknown = true
                failure.sqlState = SQLState.transactionResolutionUnknown
                failure.message = "the connection was lost during COMMIT, which may or may not have been applied: "
                    + failure.message
            }
            throw failure
        }
        return value
    }

    /// Starts listening on `channel` (`LISTEN`, the one statement whose argument cannot be a
    /// parameter: `NotifyChannel` guarantees a plain identifier).
    func listen(to channel: NotifyChannel) throws(PQError) {
        try execute("LISTEN \"\(channel.name)\"")
    }

    /// The notifications that arrived, waiting at most `milliseconds` for the first one.
    /// The corresponding C functions are `PQsocket`, `poll`, `PQconsumeInput` and `PQnotifies`.
    func notifications(waitingAtMost milliseconds: Int32) throws(PQError) -> [PQNotification] {
        var received = takeNotifications()
        guard received.isEmpty else { return received }
        let socket = PQsocket(connection)
        guard socket >= 0 else { throw lost() }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR {
            throw PQError(sqlState: SQLState.connectionFailure, message: "poll: \(String(cString: strerror(errno)))",
                          connectionLost: true)
        }
        guard ready > 0 else { return [] }
        // Reads what arrived; fails (0) once the server closed the connection.
        guard PQconsumeInput(connection) == 1, !isBroken else { throw lost() }
        received = takeNotifications()
        return received
    }

    private func takeNotifications() -> [PQNotification] {
        var received: [PQNotification] = []
        while let notify = PQnotifies(connection) {
            received.append(PQNotification(channel: String(cString: notify.pointee.relname),
                                           payload: String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return received
    }

    private func lost() -> PQError {
        PQError(sqlState: SQLState.connectionFailure, message: Self.trimmed(PQerrorMessage(connection)), connectionLost: true)
    }

    private static func rows(of result: OpaquePointer) -> PQRows {
        let count = PQntuples(result)
        let columns = PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            rows.append((0..<columns).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        return PQRows(rows: rows, affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        let text = message.map { String(cString: $0) } ?? ""
        let trimmed = text.split(separator: "\n").joined(separator: " ").trimmingWhitespace()
        return trimmed.isEmpty ? "the connection failed" : trimmed
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
