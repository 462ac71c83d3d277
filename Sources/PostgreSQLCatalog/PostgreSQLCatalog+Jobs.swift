import Catalog

/// The generation jobs: rows of the workspace outside the LoRA change log. Every change of a
/// row sends `pg_notify(channel, 'jobs')`, so every mount lists every job; the lease columns
/// (`poller`, `lease_until`) say which one mount polls it.
extension PostgreSQLCatalog {
    /// Every generation job, oldest first (ties by name).
    public func allJobs() throws -> [JobRecord] {
        try query("list jobs") { connection in
            try connection.execute("""
                SELECT \(JobRecord.columns) FROM lorafs_jobs WHERE workspace = $1 ORDER BY created_at, name
                """, [workspace]).rows.map { try JobRecord(row: $0) }
        }
    }

    /// Inserts a job; `.exists` if the name is taken.
    public func insertJob(_ job: JobRecord) throws {
        do {
            _ = try write("insert job") { connection in
                try connection.execute("""
                    INSERT INTO lorafs_jobs (workspace, \(JobRecord.columns))
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                    """, [workspace] + job.values)
                try notifyJobs(connection)
            }
        } catch CatalogError.engine(_, let code, _) where code == SQLState.resultCode(SQLState.uniqueViolation) {
            throw CatalogError.exists(job.name)
        }
    }

    /// Replaces the job's row; `.notFound` if there is none.
    public func updateJob(_ job: JobRecord) throws {
        let updates = JobRecord.columns.split(separator: ",").enumerated().dropFirst()
            .map { "\($0.element.trimmingPrefix(" ")) = $\($0.offset + 2)" }.joined(separator: ", ")
        let updated = try write("update job") { connection in
            let updated = try connection.execute("UPDATE lorafs_jobs SET \(updates) WHERE workspace = $1 AND name = $2",
                                                 [workspace] + job.values).affectedRows
            if updated > 0 { try notifyJobs(connection) }
            return updated
        }
        if updated == 0 { throw CatalogError.notFound(job.name) }
    }

    /// Deletes the job's row; returns it if it existed.
    @discardableResult
    public func deleteJob(named name: String) throws -> JobRecord? {
        try write("delete job") { connection in
            let deleted = try connection.execute("""
                DELETE FROM lorafs_jobs WHERE workspace = $1 AND name = $2 RETURNING \(JobRecord.columns)
                """, [workspace, name]).rows.first.map { try JobRecord(row: $0) }
            if deleted != nil { try notifyJobs(connection) }
            return deleted
        }
    }

    /// Takes or renews the lease, by the server's clock. Under READ COMMITTED a second
    /// mount's UPDATE of the same row waits for the first to commit, then checks its WHERE
    /// against the row the first left: of two mounts claiming at once, one wins.
    public func leaseJob(named name: String, to mount: String, seconds: Double) throws -> JobLease {
        try write("lease job") { connection in
            if let row = try connection.execute("""
                UPDATE lorafs_jobs SET poller = $3, lease_until = extract(epoch FROM clock_timestamp()) + $4::double precision
                WHERE workspace = $1 AND name = $2
                  AND (poller IS NULL OR poller = $3 OR lease_until IS NULL
                       OR lease_until < extract(epoch FROM clock_timestamp()))
                RETURNING \(JobRecord.columns)
                """, [workspace, name, mount, Encode.double(seconds)]).rows.first {
                return .held(try JobRecord(row: row))
            }
            let holder = try connection.execute("SELECT poller FROM lorafs_jobs WHERE workspace = $1 AND name = $2",
                                                [workspace, name]).rows.first
            guard let holder else { throw CatalogError.notFound(name) }
            return .heldElsewhere(mount: (holder.first ?? nil) ?? "")
        }
    }

    /// Clears the mount's leases and tells the other mounts, which then take the jobs.
    public func releaseJobLeases(heldBy mount: String) throws {
        try write("release job leases") { connection in
            let released = try connection.execute("""
                UPDATE lorafs_jobs SET poller = NULL, lease_until = NULL WHERE workspace = $1 AND poller = $2
                """, [workspace, mount]).affectedRows
            if released > 0 { try notifyJobs(connection) }
        }
    }

    /// Delivered at commit, to every mount's listener (this one's included).
    private func notifyJobs(_ connection: PQConnection) throws(PQError) {
        try connection.execute("SELECT pg_notify($1, $2)", [changeLog.channel.name, NotifyChannel.jobsPayload])
    }
}
