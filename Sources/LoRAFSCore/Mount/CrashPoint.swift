import Foundation
import Platform

/// The steps of an upload, a rename, a delete and a job submission at which the
/// crash tests kill the daemon: `LORAFS_CRASH_AT=upload.completed lorafs mount …`
/// makes the daemon `kill -9` itself the moment it gets there. Unset (always,
/// outside the tests), each check is one comparison.
enum CrashPoint: String, CaseIterable {
    /// The multipart upload exists in S3; no part yet.
    case uploadCreated = "upload.created"
    /// One part is in S3.
    case partUploaded = "upload.part"
    /// The object is complete in S3; no manifest, no row.
    case uploadCompleted = "upload.completed"
    /// The manifest is beside it; no row.
    case manifestWritten = "upload.manifest"
    /// The row is committed; `close()` has not returned.
    case uploadRecorded = "upload.recorded"
    /// A rename is committed in the catalog; the manifest still has the old name.
    case renameRecorded = "rename.recorded"
    /// A removal took the row; the object is still in S3.
    case rowDeleted = "delete.row"
    /// The backend accepted a job; the catalog does not know it yet.
    case jobSubmitted = "job.submitted"

    private static let armed = ProcessInfo.processInfo.environment["LORAFS_CRASH_AT"].flatMap(CrashPoint.init(rawValue:))

    /// Dies here if the tests asked for it.
    static func reach(_ point: CrashPoint) {
        if armed == point { Signals.killSelf() }
    }
}
