import JSON
/// Reads RunPod serverless responses (`POST /run`, `GET /status/{id}`).
public enum RunPodResponse {
    /// The job id from the `/run` answer `{"id": ..., "status": ...}`.
    public static func submitted(_ body: [UInt8]) throws(BackendResponseError) -> String {
        let members = try ResponseReading.object(body, from: "RunPod")
        guard let id = members["id"]?.stringValue, !id.isEmpty else {
            let detail = ResponseReading.message(members["error"]).map { ": \($0)" } ?? ""
            throw BackendResponseError("RunPod did not return a job id\(detail)")
        }
        return id
    }

    /// The state of a job from `GET /status/{id}`.
    ///
    /// `IN_QUEUE` → queued, `IN_PROGRESS` → running, `COMPLETED` → completed with the video from
    /// `output.video_url`, `output.video.url`, `output.url`, or base64 (or a `data:` URI) at
    /// `output.video`; an `output` that is itself a URL or base64 string, or a list whose first
    /// element has one of these shapes, is accepted too. A COMPLETED job without a video is reported
    /// as failed (with `output.error` when the worker gave one). `FAILED` and `TIMED_OUT` → failed,
    /// with the `error` member (a string, a JSON string or an object) as the error; `CANCELLED` → cancelled.
    public static func status(_ body: [UInt8]) throws(BackendResponseError) -> BackendStatus {
        let members = try ResponseReading.object(body, from: "RunPod")
        guard let status = members["status"]?.stringValue else {
            throw BackendResponseError("RunPod's status answer has no \"status\"")
        }
        let output = members["output"]
        switch status {
        case "IN_QUEUE":
            return BackendStatus(state: .queued)
        case "IN_PROGRESS":
            return BackendStatus(state: .running)
        case "COMPLETED":
            if let video = video(in: output) { return BackendStatus(state: .completed, video: video) }
            let reason = ResponseReading.message(output?["error"]) ?? ResponseReading.message(members["error"])
            return BackendStatus(
                state: .failed,
                error: reason
                    ?? "the worker finished without a video (expected output.video_url, output.video.url, output.url or base64 in output.video)")
        case "FAILED":
            let reason = ResponseReading.message(members["error"]) ?? ResponseReading.message(output?["error"])
            return BackendStatus(state: .failed, error: reason ?? "the job failed at RunPod")
        case "TIMED_OUT":
            let reason = ResponseReading.message(members["error"])
            return BackendStatus(state: .failed, error: reason ?? "the job timed out at RunPod (policy.executionTimeout)")
        case "CANCELLED":
            return BackendStatus(state: .cancelled, error: ResponseReading.message(members["error"]))
        default:
            throw BackendResponseError("RunPod reported an unknown status \(quoted(status))")
        }
    }

    /// The video in a worker's output, if any of the accepted shapes holds one.
    static func video(in output: JSONValue?) -> VideoOutput? {
        switch output {
        case .string(let text)?:
            return video(fromString: text)
        case .array(let items)?:
            return items.first.flatMap { video(in: $0) }
        case .object?:
            if let url = output?["video_url"]?.stringValue, !url.isEmpty { return .url(url) }
            if let url = output?["video"]?["url"]?.stringValue, !url.isEmpty { return .url(url) }
            if let url = output?["url"]?.stringValue, !url.isEmpty { return .url(url) }
            if let text = output?["video"]?.stringValue { return video(fromString: text) }
            return nil
        default:
            return nil
        }
    }

    /// An http(s) URL, a `data:...;base64,` URI, or bare base64.
    static func video(fromString text: String) -> VideoOutput? {
        if text.isEmpty { return nil }
        let lower = text.prefix(8).lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") { return .url(text) }
        if lower.hasPrefix("data:") {
            guard let comma = text.firstIndex(of: ","), text[..<comma].lowercased().hasSuffix(";base64") else { return nil }
            let payload = String(text[text.index(after: comma)...])
            return payload.isEmpty ? nil : .base64(payload)
        }
        return .base64(text)
    }
}
