import Catalog
import Foundation
import GRDB

/// The generation jobs: plain rows, outside the change log. Only this mount writes the
/// file, so it always holds the leases (kept all the same: one contract for every engine).
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

    /// Takes or renews the lease, by this machine's clock.
    public func leaseJob(named name: String, to mount: String, seconds: Double) throws -> JobLease {
        try write("lease job") { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                UPDATE jobs SET poller = ?, lease_until = ?
                WHERE name = ? AND (poller IS NULL OR poller = ? OR lease_until IS NULL OR lease_until < ?)
                """, arguments: [mount, now + seconds, name, mount, now])
            if db.changesCount > 0, let job = try JobRecord.fetchOne(db, key: name) { return .held(job) }
            guard let holder = try Row.fetchOne(db, sql: "SELECT poller FROM jobs WHERE name = ?", arguments: [name]) else {
                throw CatalogError.notFound(name)
            }
            return .heldElsewhere(mount: holder["poller"] ?? "")
        }
    }

    public func releaseJobLeases(heldBy mount: String) throws {
        try write("release job leases") { db in
            try db.execute(sql: "UPDATE jobs SET poller = NULL, lease_until = NULL WHERE poller = ?", arguments: [mount])
        }
    }
}
