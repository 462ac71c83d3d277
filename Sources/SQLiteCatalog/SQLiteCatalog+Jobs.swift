import Catalog
import GRDB

/// The generation jobs: plain rows, outside the change log (only the mount that
/// submitted a job polls it).
extension SQLiteCatalog {
    /// Every generation job, oldest first.
    public func allJobs() throws -> [JobRecord] {
        try read("list jobs") { db in try JobRecord.order(Column("created_at")).fetchAll(db) }
    }

    /// Inserts a job; `.exists` if the name is taken.
    public func insertJob(_ job: JobRecord) throws {
        try write("insert job") { db in
            if try JobRecord.exists(db, key: job.name) { throw CatalogError.exists(job.name) }
            try job.insert(db)
        }
    }

    /// Replaces the job's row; `.notFound` if there is none.
    public func updateJob(_ job: JobRecord) throws {
        try write("update job") { db in
            // Checked here so a missing job is `.notFound`, not GRDB's RecordError.
            guard try JobRecord.exists(db, key: job.name) else { throw CatalogError.notFound(job.name) }
            try job.update(db)
        }
    }

    /// Deletes the job's row; returns it if it existed.
    @discardableResult
    public func deleteJob(named name: String) throws -> JobRecord? {
        try write("delete job") { db in
            let old = try JobRecord.fetchOne(db, key: name)
            if old != nil { _ = try JobRecord.deleteOne(db, key: name) }
            return old
        }
    }
}
