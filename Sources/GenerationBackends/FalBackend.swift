import Generation

/// fal's queue API: `POST https://queue.fal.run/ENDPOINT`, then the returned
/// `status_url`, `response_url` and `cancel_url` (they live under the app root,
/// not the endpoint's sub-path). `Authorization: Key $FAL_KEY`.
public struct FalBackend: GenerationBackend {
    public let kind = "fal"
    let endpoint: String
    let client: JSONHTTPClient

    public init(endpoint: String, apiKey: String?) {
        self.endpoint = endpoint
        client = JSONHTTPClient(authorization: apiKey.map { "Key \($0)" })
    }

    public func submit(_ spec: JobSpec, loras: [PresignedLoRA]) throws(BackendError) -> SubmittedJob {
        let answer = try client.send("POST", endpoint, json: FalRequest.body(for: spec, loras: loras))
        do {
            let queued = try FalResponse.submitted(answer)
            return SubmittedJob(backendID: queued.requestID, statusURL: queued.statusURL,
                                responseURL: queued.responseURL, cancelURL: queued.cancelURL)
        } catch {
            throw BackendError("fal submit: \(error.reason)", isTransient: false)
        }
    }

    public func status(of job: SubmittedJob) throws(BackendError) -> BackendStatus {
        guard let statusURL = job.statusURL, let responseURL = job.responseURL else {
            throw BackendError("fal job \(job.backendID) has no status URL", isTransient: false)
        }
        let state: BackendState
        do {
            state = try FalResponse.status(try client.send("GET", statusURL))
        } catch let error as BackendError {
            throw error
        } catch {
            throw BackendError("fal status: \(error)", isTransient: false)
        }
        guard state == .completed else { return BackendStatus(state: state) }
        // A failure shows only as an HTTP error on the result.
        do {
            let video = try FalResponse.result(try client.send("GET", responseURL))
            return BackendStatus(state: .completed, video: video)
        } catch let error as BackendError where !error.isTransient {
            return BackendStatus(state: .failed, error: error.message)
        } catch let error as BackendError {
            throw error
        } catch {
            return BackendStatus(state: .failed, error: "fal result: \(error)")
        }
    }

    public func cancel(_ job: SubmittedJob) throws(BackendError) {
        guard let cancelURL = job.cancelURL else { return }
        _ = try client.send("PUT", cancelURL)
    }

    public func download(_ video: VideoOutput) throws(BackendError) -> [UInt8] {
        try client.download(video)
    }
}
