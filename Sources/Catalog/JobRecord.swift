import GRDB

/// One generation job submitted from `generate/NAME.json`.
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"

    /// The job's name: `jobs/NAME/` in the mount.
    public var name: String
    /// The accepted spec (normalized JSON), served as `jobs/NAME/spec.json`.
    public var spec: String
    /// The backend kind (`fal`, `runpod`, `local`).
    public var backend: String
    /// The backend's id for the job.
    public var backendID: String
    /// fal's queue URLs (RunPod's are derived from the endpoint).
    public var statusURL: String?
    public var responseURL: String?
    public var cancelURL: String?
    /// queued | running | completed | failed | cancelled
    public var state: String
    public var error: String?
    public var createdAt: Double
    public var updatedAt: Double
    /// The video, copied into the workspace's prefix once the job completed.
    public var outputKey: String?
    public var outputSize: Int64?

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
