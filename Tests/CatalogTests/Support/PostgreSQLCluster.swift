import Foundation
import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for this test process: Debian's `postgresql` binaries,
/// `initdb` into a folder of its own under /tmp, the server on a free loopback port (its
/// socket in that folder too), `trust` authentication. It starts at the first test that
/// asks for it (about a second) and is shared by all; each test takes a database or a
/// workspace of its own.
///
/// It stops when the process ends, however it ends: a watchdog started beside it (in a
/// session of its own, so ^C does not kill it first) waits for this process to go, then stops the
/// server and removes the folder.
///
/// Not finding PostgreSQL is a failure of every test that needs it, never a skip: install
/// `postgresql` and `libpq-dev` (scripts/test does), or point `LORAFS_TEST_PG_BINDIR` at the
/// folder holding `initdb` and `pg_ctl`.
final class PostgreSQLCluster: Sendable {
    /// The cluster, started at first use; every later use gets the same one (or the same failure).
    static func shared() throws -> PostgreSQLCluster { try started.get() }
    private static let started = Result { try PostgreSQLCluster() }

    let port: Int
    let binDirectory: String
    /// The database most tests share, a workspace each.
    let sharedDatabase = "lorafs"
    private let folder: String
    private let databaseCounter = Atomic<Int>(0)

    private init() throws {
        binDirectory = try Self.findBinaries()
        folder = "/tmp/lorafs-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(folder, 0o755) == 0, chmod(folder, 0o755) == 0 else {
            throw ClusterError("cannot create \(folder): \(String(cString: strerror(errno)))")
        }
        let asRoot = getuid() == 0
        if asRoot {
            // initdb refuses root: the cluster belongs to `postgres`, which must reach the folder.
            guard let user = getpwnam("postgres") else {
                throw ClusterError("no user postgres to run initdb as (apt-get install postgresql)")
            }
            guard chown(folder, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw ClusterError("cannot chown \(folder) to postgres: \(String(cString: strerror(errno)))")
            }
        }
        let data = folder + "/data"
        try Self.run(asRoot, "\(binDirectory)/initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                                        "--no-locale", "--no-sync", "--no-instructions"])
        var lastFailure: (any Error)?
        var startedPort: Int?
        for _ in 0..<5 {
            let candidate = try Self.freePort()
            let options = "-p \(candidate) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off "
                + "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            do {
                try Self.run(asRoot, "\(binDirectory)/pg_ctl", ["-D", data, "-o", options, "-l", folder + "/server.log",
                                                                "-w", "-t", "60", "start"])
                startedPort = candidate
                break
            } catch {
                lastFailure = error  // most likely the port was taken meanwhile: another one
            }
        }
        guard let startedPort else { throw lastFailure ?? ClusterError("pg_ctl start failed") }
        port = startedPort
        try Self.startWatchdog(asRoot: asRoot, pgCtl: "\(binDirectory)/pg_ctl", data: data, folder: folder)
        try psql("CREATE DATABASE \(sharedDatabase)")
    }

    /// A libpq URL for `database` as `user` (any role may log in: trust).
    func url(database: String? = nil, user: String = "postgres") -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database ?? sharedDatabase)"
    }

    /// A new, empty database, named after `label`.
    func freshDatabase(_ label: String = "test", options: String = "") throws -> String {
        let name = "lorafs_\(label)_\(databaseCounter.add(1, ordering: .relaxed).newValue)"
        try psql("CREATE DATABASE \(name) \(options)")
        return name
    }

    /// Runs `sql` with psql and returns its output, unaligned, without headers (one line per
    /// row, `|` between columns); throws psql's error message if it fails.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres", user: String = "postgres") throws -> String {
        try Self.output("\(binDirectory)/psql") { file in
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", user,
             "-d", database, "-o", file, "-c", sql]
        }.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Terminates the server processes of `database` serving `applicationName`; returns how many.
    @discardableResult
    func terminateBackends(database: String, applicationName: String) throws -> Int {
        let output = try psql("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = '\(database)' AND application_name = '\(applicationName)'
            """)
        return Int(output) ?? 0
    }

    /// The server processes of `database` serving `applicationName`.
    func backends(database: String, applicationName: String) throws -> Set<Int> {
        let output = try psql("""
            SELECT pid FROM pg_stat_activity WHERE datname = '\(database)' AND application_name = '\(applicationName)'
            """)
        return Set(output.split(separator: "\n").compactMap { Int($0) })
    }

    // MARK: Starting and stopping

    private static func findBinaries() throws -> String {
        var candidates: [String] = []
        if let folder = ProcessInfo.processInfo.environment["LORAFS_TEST_PG_BINDIR"] { candidates.append(folder) }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/pg_config"),
           let folder = try? output("/bin/sh", { ["-c", "/usr/bin/pg_config --bindir > '\($0)'"] }) {
            candidates.append(folder.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }) else {
            throw ClusterError("""
                PostgreSQL server binaries not found (looked in \(candidates)): apt-get install postgresql libpq-dev, \
                or set LORAFS_TEST_PG_BINDIR
                """)
        }
        return found
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ClusterError("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(socket, address, length) == 0 && getsockname(socket, address, &length) == 0
            }
        }
        guard bound else { throw ClusterError("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A shell in its own session (as every child of `run`) that outlives this process by a
    /// moment: it stops the server and removes the folder once this process is gone.
    private static func startWatchdog(asRoot: Bool, pgCtl: String, data: String, folder: String) throws {
        let stop = (asRoot ? "/usr/sbin/runuser -u postgres -- " : "") + "'\(pgCtl)' -D '\(data)' -m immediate -w stop"
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.3; done
            \(stop) >/dev/null 2>&1
            rm -rf '\(folder)'
            """
        _ = try ChildProcess.spawn("/bin/sh", arguments: ["-c", script], logPath: "/dev/null")
    }

    private static let commandCounter = Atomic<Int>(0)

    /// Runs a program (as `postgres` when `asPostgres`, through runuser) and waits for it;
    /// throws with what it wrote if it fails. Its output (both streams) goes to a file: pg_ctl
    /// leaves a server behind that must not hold a pipe of ours. Not Foundation's `Process`:
    /// it waits for SIGCHLD, which the test runner's threads block.
    private static func run(_ asPostgres: Bool, _ program: String, _ arguments: [String]) throws {
        let log = "/tmp/lorafs-pg-\(getpid())-command-\(commandCounter.add(1, ordering: .relaxed).newValue).log"
        defer { unlink(log) }
        let child = asPostgres
            ? try ChildProcess.spawn("/usr/sbin/runuser", arguments: ["-u", "postgres", "--", program] + arguments, logPath: log)
            : try ChildProcess.spawn(program, arguments: arguments, logPath: log)
        let termination = try child.waitForTermination()
        guard termination != .exited(0) else { return }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw ClusterError("\(program) \(arguments.joined(separator: " ")) failed (\(termination)): "
            + output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `run`, returning what the program wrote to `-o FILE` (psql's query output, without its notices).
    private static func output(_ program: String, _ arguments: (String) -> [String]) throws -> String {
        let file = "/tmp/lorafs-pg-\(getpid())-output-\(commandCounter.add(1, ordering: .relaxed).newValue).txt"
        defer { unlink(file) }
        try run(false, program, arguments(file))
        return (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    }
}

/// Why the cluster could not start or a command against it failed.
struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
