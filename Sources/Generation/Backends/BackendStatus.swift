import JSON
/// A backend's view of a job, normalized.
public enum BackendState: String, Sendable, Codable, CaseIterable {
    case queued, running, completed, failed, cancelled

    /// Whether the job can still change (queued or running).
    public var isActive: Bool { self == .queued || self == .running }
}

/// Where a finished video is: a URL to fetch, or the MP4 itself in base64.
public enum VideoOutput: Sendable, Equatable {
    /// An http(s) URL of the video.
    case url(String)
    /// The video's bytes in base64 (a `data:` prefix already removed).
    case base64(String)
}

/// A job's state at the backend, with the error of a failed job and the video of a completed one.
public struct BackendStatus: Sendable, Equatable {
    /// The normalized state.
    public var state: BackendState
    /// Why the job failed (or was cut short); `nil` otherwise.
    public var error: String?
    /// The video, for a completed job.
    public var video: VideoOutput?

    /// Creates a status.
    public init(state: BackendState, error: String? = nil, video: VideoOutput? = nil) {
        self.state = state
        self.error = error
        self.video = video
    }
}

/// A backend response that could not be understood.
public struct BackendResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A human sentence, e.g. `the response has no "id"`.
    public let reason: String

    /// Creates an error.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}

/// Shared helpers for reading backend responses.
enum ResponseReading {
    /// How backend answers are read: leniently (a repeated key: the last wins; a byte-order mark
    /// skipped). They are not user input to check but another service's output, and refusing a
    /// quirk there would lose a job that in fact finished.
    static let options = JSONParser.Options.lenient

    /// The body as a JSON object, or an error naming the backend.
    static func object(_ body: [UInt8], from backend: String) throws(BackendResponseError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body, options: options)
        } catch {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            throw BackendResponseError("\(backend) answered with something that is not JSON (\(error)): \(text)")
        }
        guard let members = value.objectValue else {
            throw BackendResponseError("\(backend) answered with \(value.excerpt()) where an object was expected")
        }
        return members
    }

    /// A readable message from an error member: a string (itself possibly JSON carrying
    /// `error_message`/`message`/`detail`), or an object with one of those, or the object's JSON.
    static func message(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?:
            if text.isEmpty { return nil }
            if text.hasPrefix("{"), let inner = try? JSONParser.parse(Array(text.utf8), options: options), let message = message(fromObject: inner) {
                return message
            }
            return text
        case .object?:
            return message(fromObject: value!) ?? value!.excerpt(limit: 500)
        case .array(let items)?:
            let messages = items.compactMap { message($0) }
            return messages.isEmpty ? nil : messages.joined(separator: "; ")
        default:
            return nil
        }
    }

    private static func message(fromObject value: JSONValue) -> String? {
        for key in ["error_message", "message", "msg", "detail", "error"] {
            if let text = message(value[key]) {
                if let kind = value["error_type"]?.stringValue, key == "error_message" { return "\(kind): \(text)" }
                return text
            }
        }
        return nil
    }
}
