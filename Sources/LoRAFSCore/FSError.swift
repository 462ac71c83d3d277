import Foundation
import LoRAFormats

/// Every failure a user can hit in the mount: the errno the kernel returns and one
/// human sentence, mapped in this one place.
public struct FSError: Error, Sendable, CustomStringConvertible {
    public let errno: Int32
    public let reason: String

    public init(_ errno: Int32, _ reason: String) {
        self.errno = errno
        self.reason = reason
    }

    public var description: String { "\(reason) (\(FSError.errnoName(errno)))" }

    public static func notFound(_ name: String) -> FSError { FSError(ENOENT, "\(name): no such file") }
    public static func notPermitted(_ reason: String) -> FSError { FSError(EPERM, reason) }
    public static func invalid(_ reason: String) -> FSError { FSError(EINVAL, reason) }
    public static func tooLarge(_ name: String, limit: UInt64) -> FSError {
        FSError(EFBIG, "\(name): larger than the \(limit)-byte limit of this mount")
    }
    public static func io(_ reason: String) -> FSError { FSError(EIO, reason) }

    /// A file refused by a validator: EINVAL for format problems, EACCES for unsafe pickles.
    public static func refused(_ name: String, _ error: LoRAValidationError) -> FSError {
        switch error.kind {
        case .invalidFormat: FSError(EINVAL, "\(name): \(error.reason)")
        case .unsafePickle: FSError(EACCES, "\(name): \(error.reason)")
        }
    }

    /// Any other error, as seen by the kernel: storage failures become EIO.
    public static func wrap(_ error: any Error, _ context: String) -> FSError {
        if let error = error as? FSError { return error }
        return FSError(EIO, "\(context): \(error)")
    }

    /// `EINVAL` rather than 22, for logs and `.lorafs/errors`.
    public static func errnoName(_ code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EIO: "EIO"
        case EACCES: "EACCES"
        case EEXIST: "EEXIST"
        case ENOTDIR: "ENOTDIR"
        case EISDIR: "EISDIR"
        case EINVAL: "EINVAL"
        case EFBIG: "EFBIG"
        case ENOSPC: "ENOSPC"
        case EBUSY: "EBUSY"
        case ENOTEMPTY: "ENOTEMPTY"
        case ENAMETOOLONG: "ENAMETOOLONG"
        case ENOTSUP: "ENOTSUP"
        default: "errno \(code)"
        }
    }
}
