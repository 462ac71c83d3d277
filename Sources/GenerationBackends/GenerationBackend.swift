import Generation

/// A job as a backend knows it: its id, and the URLs some backends (fal) hand back.
public struct SubmittedJob: Sendable, Equatable {
    public var backendID: String
    public var statusURL: String?
    public var responseURL: String?
    public var cancelURL: String?

    public init(backendID: String, statusURL: String? = nil, responseURL: String? = nil, cancelURL: String? = nil) {
        self.backendID = backendID
        self.statusURL = statusURL
        self.responseURL = responseURL
        self.cancelURL = cancelURL
    }
}

/// A backend failure. `isTransient` failures (network, 5xx, 429) are retried by
/// the poller with back-off; others end the job.
public struct BackendError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var isTransient: Bool

    public init(_ message: String, isTransient: Bool) {
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String { message }
}

/// Where WAN 2.2 runs: one small protocol, so a ComfyUI adapter can be added
/// without touching the filesystem. Calls block the calling (plain) thread.
public protocol GenerationBackend: Sendable {
    /// `fal`, `runpod`, `local`.
    var kind: String { get }
    /// Sends the job; returns once the backend accepted it.
    func submit(_ spec: JobSpec, loras: [PresignedLoRA]) throws(BackendError) -> SubmittedJob
    /// The job's state now (with the video once completed).
    func status(of job: SubmittedJob) throws(BackendError) -> BackendStatus
    /// Asks the backend to stop a queued or running job.
    func cancel(_ job: SubmittedJob) throws(BackendError)
    /// The finished video's bytes.
    func download(_ video: VideoOutput) throws(BackendError) -> [UInt8]
}
