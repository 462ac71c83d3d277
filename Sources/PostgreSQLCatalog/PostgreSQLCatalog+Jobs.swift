import Catalog

/// The generation jobs: plain rows of the workspace, outside the change log (only the mount
/// that submitted a job polls it), each call one statement in its own transaction.
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
            try connection.execute("UPDATE lorafs_jobs SET \(updates) WHERE workspace = $1 AND name = $2",
                                   [workspace] + job.values).affectedRows
        }
        if updated == 0 { throw CatalogError.notFound(job.name) }
    }

    /// Deletes the job's row; returns it if it existed.
    @discardableResult
    public func deleteJob(named name: String) throws -> JobRecord? {
        try write("delete job") { connection in
            try connection.execute("DELETE FROM lorafs_jobs WHERE workspace = $1 AND name = $2 RETURNING \(JobRecord.columns)",
                                   [workspace, name]).rows.first.map { try JobRecord(row: $0) }
        }
    }
}
