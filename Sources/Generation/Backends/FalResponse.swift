import JSON
/// Reads fal queue API responses.
public enum FalResponse {
    /// The queue's answer to a submission: the request id and the URLs to use from then on
    /// (they live under the app root, not the endpoint's sub-path, so they must be stored, not rebuilt).
    public static func submitted(_ body: [UInt8]) throws(BackendResponseError)
        -> (requestID: String, statusURL: String, responseURL: String, cancelURL: String)
    {
        let members = try ResponseReading.object(body, from: "fal")
        var values: [String] = []
        for key in ["request_id", "status_url", "response_url", "cancel_url"] {
            guard let value = members[key]?.stringValue, !value.isEmpty else {
                let detail = ResponseReading.message(members["detail"]).map { ": \($0)" } ?? ""
                throw BackendResponseError("fal's submission answer has no \(quoted(key))\(detail)")
            }
            values.append(value)
        }
        return (values[0], values[1], values[2], values[3])
    }

    /// The state from `GET status_url`: `IN_QUEUE` → queued, `IN_PROGRESS` → running,
    /// `COMPLETED` → completed (whether it succeeded shows on the result GET; see ``result(_:)``).
    public static func status(_ body: [UInt8]) throws(BackendResponseError) -> BackendState {
        let members = try ResponseReading.object(body, from: "fal")
        switch members["status"]?.stringValue {
        case "IN_QUEUE": return .queued
        case "IN_PROGRESS": return .running
        case "COMPLETED": return .completed
        case let other?: throw BackendResponseError("fal reported an unknown status \(quoted(other))")
        case nil: throw BackendResponseError("fal's status answer has no \"status\"")
        }
    }

    /// The video from `GET response_url`: `{"video": {"url": ...}}`. An error answer
    /// (`{"detail": ...}`) is thrown with its message.
    public static func result(_ body: [UInt8]) throws(BackendResponseError) -> VideoOutput {
        let members = try ResponseReading.object(body, from: "fal")
        if let url = members["video"]?["url"]?.stringValue, !url.isEmpty { return .url(url) }
        if let message = errorMessage(body) { throw BackendResponseError("fal: \(message)") }
        throw BackendResponseError("fal's result has no video.url")
    }

    /// The message of a fal error body (`{"detail": "..."}` or `{"detail": [{"msg": ..., "loc": [...]}]}`,
    /// as sent with HTTP 4xx/5xx), for reporting a failed job; `nil` if there is none.
    public static func errorMessage(_ body: [UInt8]) -> String? {
        guard let value = try? JSONParser.parse(body, options: ResponseReading.options), let members = value.objectValue else { return nil }
        if case .array(let items)? = members["detail"] {
            let messages = items.compactMap { item -> String? in
                guard let message = ResponseReading.message(item["msg"]) else { return ResponseReading.message(item) }
                let location = item["loc"].flatMap { loc -> String? in
                    guard case .array(let parts) = loc else { return nil }
                    return parts.map { $0.stringValue ?? $0.excerpt() }.joined(separator: ".")
                }
                return location.map { "\($0): \(message)" } ?? message
            }
            return messages.isEmpty ? nil : messages.joined(separator: "; ")
        }
        return ResponseReading.message(members["detail"]) ?? ResponseReading.message(members["error"])
    }
}
