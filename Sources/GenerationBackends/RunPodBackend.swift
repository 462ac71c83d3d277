import Generation

/// The RunPod serverless protocol (`POST /run`, `GET /status/ID`, `POST /cancel/ID`),
/// for self-hosted GPU workers; `local:` is the same protocol pointed at
/// `scripts/local-worker`. The `input` sent is documented in `RunPodRequest`.
public struct RunPodBackend: GenerationBackend {
    public let kind: String
    let base: String
    let client: JSONHTTPClient
    let executionTimeoutMs: Int

    /// - Parameters:
    ///   - endpoint: `https://api.runpod.ai/v2/ENDPOINT_ID` (or the local worker's URL).
    ///   - apiKey: sent as `Authorization: Bearer KEY` (`RUNPOD_API_KEY`).
    public init(kind: String = "runpod", endpoint: String, apiKey: String?,
                executionTimeoutMs: Int = RunPodRequest.defaultExecutionTimeoutMs) {
        self.kind = kind
        base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        client = JSONHTTPClient(authorization: apiKey.map { "Bearer \($0)" })
        self.executionTimeoutMs = executionTimeoutMs
    }

    public func submit(_ spec: JobSpec, loras: [PresignedLoRA]) throws(BackendError) -> SubmittedJob {
        let body = RunPodRequest.body(for: spec, loras: loras, executionTimeoutMs: executionTimeoutMs)
        let answer = try client.send("POST", base + "/run", json: body)
        do {
            return SubmittedJob(backendID: try RunPodResponse.submitted(answer))
        } catch {
            throw BackendError("RunPod /run: \(error.reason)", isTransient: false)
        }
    }

    public func status(of job: SubmittedJob) throws(BackendError) -> BackendStatus {
        let answer = try client.send("GET", base + "/status/" + job.backendID)
        do {
            return try RunPodResponse.status(answer)
        } catch {
            throw BackendError("RunPod /status: \(error.reason)", isTransient: false)
        }
    }

    public func cancel(_ job: SubmittedJob) throws(BackendError) {
        _ = try client.send("POST", base + "/cancel/" + job.backendID, json: Array("{}".utf8))
    }

    public func download(_ video: VideoOutput) throws(BackendError) -> [UInt8] {
        try client.download(video)
    }
}
