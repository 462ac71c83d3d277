import Catalog
import Foundation
import GenerationBackends
import HTTPTransport
import Platform
import S3

/// The one table that turns a failure into what the kernel returns and what a
/// user reads. Causes from below keep their own detail (an S3 request id, the
/// SQLite message) in the sentence; a few of them change the errno: S3's 403 is
/// EACCES (`cp` says "Permission denied"), a full disk is ENOSPC.
extension FSError {
    public var errno: Int32 {
        switch failure {
        case .notFound: ENOENT
        case .exists: EEXIST
        case .isDirectory: EISDIR
        case .notDirectory: ENOTDIR
        case .readOnly, .cannotRemove: EACCES
        case .notPermitted, .renameOutsideRoot: EPERM
        case .renameExchange, .badRange, .spec, .invalidOption, .invalidName: EINVAL
        case .busy: EBUSY
        case .stagingDiscarded, .superseded: ECANCELED
        case .badHandle, .notOpenForWriting: EBADF
        case .refused(_, let error): error.kind == .unsafePickle ? EACCES : EINVAL
        case .tooLarge, .specTooLarge: EFBIG
        case .noGenerator: EOPNOTSUPP
        case .failed(_, _, let cause): Self.errno(of: cause)
        }
    }

    /// One sentence: the subject, what failed, and why.
    public var reason: String {
        switch failure {
        case .notFound(let subject): "\(subject): no such file"
        case .exists(let subject, let why): "\(subject): \(why)"
        case .isDirectory(let subject): "\(subject) is a directory"
        case .notDirectory(let subject): "\(subject) is not a directory"
        case .readOnly(let subject): "\(subject) is read-only"
        case .cannotRemove(let subject): "\(subject) cannot be removed"
        case .notPermitted(let subject, let why): "\(subject): \(why)"
        case .renameOutsideRoot(let from, let to): "\(from) -> \(to): only files at the top of the mount can be renamed"
        case .renameExchange: "RENAME_EXCHANGE is not supported"
        case .invalidName(let subject): "\(subject): the name is not valid UTF-8"
        case .busy(let subject): "\(subject): another process is writing this name; try again when it is done"
        case .stagingDiscarded(let subject, let after):
            after > 0 ? "\(subject): a temporary file never renamed to a LoRA name; discarded after \(after) s, nothing stored"
                : "\(subject): a temporary file never renamed to a LoRA name; discarded at unmount, nothing stored"
        case .superseded(let subject, let what, let mount):
            "\(subject): a later change from \(mount.hasPrefix("another") ? mount : "mount " + mount) replaced \(what); every mount now shows that change (last writer wins)"
        case .badHandle: "bad file handle"
        case .notOpenForWriting: "file not open for writing"
        case .badRange(let what): what
        case .refused(let subject, let error): "\(subject): \(error.reason)"
        case .spec(let subject, let error): "\(subject): \(error.description)"
        case .tooLarge(let subject, let limit): "\(subject): larger than the \(limit)-byte limit of this mount"
        case .specTooLarge(let subject, let limit): "\(subject): a spec is at most \(limit) bytes"
        case .invalidOption(let reason): reason
        case .noGenerator(let subject): "\(subject): no generator is configured (mount with --generator KIND:URL)"
        case .failed(let subject, let step, let cause): "\(subject): \(step.sentence): \(Self.sentence(of: cause))"
        }
    }

    private static func errno(of cause: any Error) -> Int32 {
        switch cause {
        case let error as S3Error:
            if error.status == 403 { return EACCES }
            if error.code == "EntityTooLarge" { return EFBIG }
            return EIO
        case let error as CatalogError:
            switch error {
            // Each engine names these itself; the errno never reads an engine's codes.
            case .noSpace: return ENOSPC
            case .readOnly: return EROFS
            case .busy, .conflict: return EBUSY
            case .notFound: return ENOENT
            case .exists: return EEXIST
            case .engine: return EIO
            }
        case let error as FSError:
            return error.errno
        case let error as SystemError:
            if error.errno == EDQUOT { return EDQUOT }
            return error.isNoSpace ? ENOSPC : EIO
        default:
            return EIO
        }
    }

    private static func sentence(of cause: any Error) -> String {
        switch cause {
        case let error as S3Error where error.status == 403:
            var text = "the bucket refused the credentials: \(error.code ?? "Forbidden")"
            if error.message != "HTTP 403" { text += " (\(error.message))" }
            if let requestID = error.requestID { text += ", request id \(requestID)" }
            return text
        case let error as S3Error where error.transport != nil:
            return "S3 did not answer (\(error.transport ?? error.message))"
        case let error as BackendError:
            return Redaction.presignedURLs(in: error.message)
        case let error as FSError:
            return error.reason
        default:
            return "\(cause)"
        }
    }

    /// `EINVAL` rather than 22, for logs and `.lorafs/errors`.
    public static func errnoName(_ code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EACCES: "EACCES"
        case EEXIST: "EEXIST"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case EBUSY: "EBUSY"
        case ENOTEMPTY: "ENOTEMPTY"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case EOPNOTSUPP: "EOPNOTSUPP"
        case EDQUOT: "EDQUOT"
        case ECANCELED: "ECANCELED"
        default: "errno \(code)"
        }
    }
}

extension FSError.Step {
    var sentence: String {
        switch self {
        case .spool: "the local spool failed"
        case .upload: "upload to S3 failed"
        case .record: "recording the upload failed"
        case .read: "read from S3 failed"
        case .deleteRecord: "the catalog refused the removal, so it stays"
        case .rename: "catalog update failed"
        case .presign: "cannot presign the LoRA URLs"
        case .submitJob(let backend): "the \(backend) backend refused the job"
        case .cancelJob: "the backend did not cancel the job, so it stays"
        case .forgetJob: "the catalog could not forget the job"
        case .recordJob: "the catalog could not record the job"
        }
    }
}
