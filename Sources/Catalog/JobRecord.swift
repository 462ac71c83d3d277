/// One generation job submitted from `generate/NAME.json`.
public struct JobRecord: Codable, Sendable, Equatable {
    /// The job's name: `jobs/NAME/` in the mount.
    public var name: String
    /// The accepted spec (normalized JSON), served as `jobs/NAME/spec.json`.
    public var spec: String
    /// The backend kind (`fal`, `runpod`, `local`).
    public var backend: String
    /// The backend's id for the job.
    public var backendID: String
    /// fal's queue URL for the job's status (RunPod's URLs are derived from the endpoint).
    public var statusURL: String?
    /// fal's queue URL for the job's result.
    public var responseURL: String?
    /// fal's queue URL that cancels the job.
    public var cancelURL: String?
    /// queued | running | completed | failed | cancelled
    public var state: String
    /// What the backend said when the job failed.
    public var error: String?
    /// Submission time, seconds since 1970.
    public var createdAt: Double
    /// Time of the last state change, seconds since 1970.
    public var updatedAt: Double
    /// The video, copied into the workspace's prefix once the job completed.
    public var outputKey: String?
    /// The video's size in bytes, known once it is copied.
    public var outputSize: Int64?

    /// A job row; the optional fields start empty because a new job has no URLs, error or output yet.
    public init(name: String, spec: String, backend: String, backendID: String, statusURL: String? = nil,
                responseURL: String? = nil, cancelURL: String? = nil, state: String, error: String? = nil,
                createdAt: Double, updatedAt: Double, outputKey: String? = nil, outputSize: Int64? = nil) {
        self.name = name
        self.spec = spec
        self.backend = backend
        self.backendID = backendID
        self.statusURL = statusURL
        self.responseURL = responseURL
        self.cancelURL = cancelURL
        self.state = state
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.outputKey = outputKey
        self.outputSize = outputSize
    }

    /// The column names of the `jobs` table (snake case, shared by every engine).
    enum CodingKeys: String, CodingKey {
        case name, spec, backend, state, error
        case backendID = "backend_id"
        case statusURL = "status_url"
        case responseURL = "response_url"
        case cancelURL = "cancel_url"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case outputKey = "output_key"
        case outputSize = "output_size"
    }
}
