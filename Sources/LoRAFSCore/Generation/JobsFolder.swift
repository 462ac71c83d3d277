import Catalog
import Foundation

/// `jobs/`: one folder per submitted job, `jobs/NAME/{spec,status}.json` and,
/// once the job completed, `output.mp4` (read from the workspace's copy in S3).
/// `rm -r jobs/NAME` cancels an active job and forgets it.
final class JobsFolder: Subtree {
    let folder: String? = "jobs"
    static let files = ["spec.json", "status.json", "output.mp4"]
    let services: WorkspaceServices
    private let jobs: JobBoard

    init(services: WorkspaceServices, jobs: JobBoard) {
        self.services = services
        self.jobs = jobs
    }

    /// At unmount: the job board stops polling and hands its jobs' leases back.
    func shutdown() { jobs.stop() }

    private func job(_ name: String) throws(FSError) -> JobRecord {
        guard let job = jobs.job(name) else { throw FSError.notFound("jobs/\(name)") }
        return job
    }

    private static func folder(of job: JobRecord) -> FileAttributes { .directory(modified: job.createdAt) }

    func attributes(of path: [String], handle: (any OpenFile)?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes {
        switch path.count {
        case 0: return .directory(modified: services.rootModified)
        case 1: return Self.folder(of: try job(path[0]))
        case 2 where Self.files.contains(path[1]): return try fileAttributes(try job(path[0]), path[1])
        default: throw FSError.notFound(display(path))
        }
    }

    private func fileAttributes(_ job: JobRecord, _ file: String) throws(FSError) -> FileAttributes {
        switch file {
        case "spec.json": return .virtualFile(size: job.spec.utf8.count, modified: job.createdAt)
        case "status.json": return .virtualFile(size: JobBoard.statusJSON(job).count, modified: job.updatedAt)
        default:
            guard let size = job.outputSize, job.outputKey != nil else { throw FSError.notFound("jobs/\(job.name)/\(file)") }
            return FileAttributes(kind: .file, size: UInt64(size), modified: job.updatedAt, mode: 0o444)
        }
    }

    func list(_ path: [String]) throws(FSError) -> [DirectoryEntry] {
        switch path.count {
        case 0:
            return jobs.all.sorted { $0.createdAt < $1.createdAt }.map { DirectoryEntry(name: $0.name, attributes: Self.folder(of: $0)) }
        case 1:
            let job = try job(path[0])
            let files = job.outputKey == nil ? ["spec.json", "status.json"] : Self.files
            return try files.map { file throws(FSError) in DirectoryEntry(name: file, attributes: try fileAttributes(job, file)) }
        default:
            throw FSError(.notDirectory(display(path)))
        }
    }

    func open(_ path: [String], mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        if mode.write { throw FSError(.readOnly(display(path))) }
        guard path.count == 2 else {
            if path.count == 1 { _ = try job(path[0]) }
            throw FSError(path.count < 2 ? .isDirectory(display(path)) : .notFound(display(path)))
        }
        let job = try job(path[0])
        switch path[1] {
        case "spec.json": return VirtualFile(Array(job.spec.utf8))
        case "status.json": return VirtualFile(JobBoard.statusJSON(job))
        case "output.mp4":
            guard let key = job.outputKey, let size = job.outputSize else { throw FSError.notFound("jobs/\(job.name)/output.mp4") }
            return StoredObjectFile(key: key, size: UInt64(size), subject: "jobs/\(job.name)/output.mp4", services: services)
        default:
            throw FSError.notFound(display(path))
        }
    }

    /// `unlink` of a job's files succeeds without effect, so that `rm -r jobs/NAME`
    /// reaches the `rmdir` that cancels the job.
    func unlink(_ path: [String]) throws(FSError) {
        guard path.count <= 2 else { throw FSError.notFound(display(path)) }
        guard path.count == 2 else { throw FSError(.isDirectory(display(path))) }
        _ = try job(path[0])
        guard Self.files.contains(path[1]) else { throw FSError.notFound(display(path)) }
    }

    /// `rmdir jobs/NAME` (the end of `rm -r`): cancels the job if active, then forgets it.
    func removeDirectory(_ path: [String]) throws(FSError) {
        switch path.count {
        case 0: throw FSError(.notPermitted(display(path), why: "cannot be removed"))
        case 1:
            do { try jobs.cancelAndForget(path[0]) } catch {
                if case .notFound = error.failure { throw error }
                throw services.report(error)
            }
        default: throw FSError(.notDirectory(display(path)))
        }
    }
}
