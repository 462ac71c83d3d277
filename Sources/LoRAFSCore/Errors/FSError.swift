import Generation
import LoRAFormats

/// Every failure a user can hit in the mount: what went wrong, on which name, and
/// the cause from the layer below (an `S3Error` with its status, code and request
/// id; a `CatalogError`; a `SystemError` of the spool), kept as it was thrown.
///
/// Code below the edge only says what happened. The errno the kernel returns and
/// the one sentence a user reads in the log and `.lorafs/errors` are chosen from
/// it in one table (`FSError+Errno.swift`).
public struct FSError: Error, CustomStringConvertible {
    public let failure: Failure

    public init(_ failure: Failure) { self.failure = failure }

    /// What went wrong. `subject` is the name or path a user would recognise.
    public enum Failure: Sendable {
        // The namespace
        case notFound(_ subject: String)
        case exists(_ subject: String, why: String)
        case isDirectory(_ subject: String)
        case notDirectory(_ subject: String)
        case readOnly(_ subject: String)
        case cannotRemove(_ subject: String)
        /// A name or an operation the workspace does not allow (bad names, directories, in-place edits).
        case notPermitted(_ subject: String, why: String)
        case renameOutsideRoot(from: String, to: String)
        /// A name that is not valid UTF-8 (it could not be shown, stored or compared).
        case invalidName(_ subject: String)
        /// Another process is writing this name right now.
        case busy(_ subject: String)
        /// A temporary file whose rename never came was thrown away (its bytes were never stored).
        case stagingDiscarded(_ subject: String, after: Int)
        /// Another mount wrote, renamed or removed this name after this mount did: the
        /// other change is the one every mount keeps (last writer wins), and what was
        /// written here (`what`) is no longer listed.
        case superseded(_ subject: String, what: String, byMount: String)
        case renameExchange
        case badHandle
        case notOpenForWriting
        case badRange(_ what: String)
        // What a file holds
        /// A LoRA the validators refused.
        case refused(_ subject: String, LoRAValidationError)
        /// A job spec the spec parser refused.
        case spec(_ subject: String, SpecError)
        case tooLarge(_ subject: String, limit: UInt64)
        case specTooLarge(_ subject: String, limit: Int)
        // The mount's configuration
        case invalidOption(_ reason: String)
        case noGenerator(_ subject: String)
        // A layer below failed while doing `step` for `subject`
        case failed(_ subject: String, Step, cause: any Error)
    }

    /// What the mount was doing when a layer below failed; part of the sentence.
    public enum Step: Sendable {
        case spool, upload, record, read, deleteRecord, rename
        case presign, submitJob(backend: String), cancelJob, forgetJob, recordJob
    }

    public var description: String { "\(reason) (\(Self.errnoName(errno)))" }
}

extension FSError {
    static func notFound(_ subject: String) -> FSError { FSError(.notFound(subject)) }
    static func notPermitted(_ subject: String, _ why: String) -> FSError { FSError(.notPermitted(subject, why: why)) }
    static func failed(_ subject: String, _ step: Step, _ cause: any Error) -> FSError {
        if let error = cause as? FSError { return error }
        return FSError(.failed(subject, step, cause: cause))
    }
}
