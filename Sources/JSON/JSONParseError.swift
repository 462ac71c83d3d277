/// Why a document is not JSON (or not acceptable under the parser's ``JSONParser/Options``), and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `expected ',' or '}' after an object member` or `repeated key "steps"`.
    public let message: String
    /// 0-based byte offset of the offending byte in the input (a byte-order mark counts).
    public let offset: Int
    /// 1-based line of the offending byte.
    public let line: Int
    /// 1-based column (in bytes) of the offending byte.
    public let column: Int
    /// The key, when the failure is a key repeated in one object under ``JSONParser/Options/DuplicateKeys/refuse``.
    /// The position is then that of the second occurrence's opening quote.
    public let repeatedKey: String?
    /// The containers around the failure, outermost first: `[.key("loras"), .index(0)]` for a
    /// problem inside the first entry of `loras`. Callers name the field at fault with it.
    public internal(set) var path: [JSONPathComponent] = []

    /// How deep the failure is: 0 in (or at) the top-level value, 1 inside one of its members
    /// or elements, and so on. For a repeated key, the depth of the object holding it.
    public var depth: Int { path.count }

    /// `MESSAGE at line L, column C`.
    public var description: String { "\(message) at line \(line), column \(column)" }

    /// An error at `offset` in `bytes`, with the line and column worked out (only on failure,
    /// so the parser does not count lines as it goes).
    init(_ message: String, at offset: Int, in bytes: [UInt8], repeatedKey: String? = nil) {
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        for position in 0..<end where bytes[position] == 0x0A {
            line += 1
            lineStart = position + 1
        }
        self.message = message
        self.offset = end
        self.line = line
        self.column = end - lineStart + 1
        self.repeatedKey = repeatedKey
    }
}

/// One step into a JSON document: an object member by key or an array element by index.
public enum JSONPathComponent: Sendable, Equatable, CustomStringConvertible {
    /// The member `key` of an object.
    case key(String)
    /// The element at 0-based `index` of an array.
    case index(Int)

    /// `key` or `[index]`.
    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        }
    }

    /// A path as `loras[0].name` (keys joined by dots, indices in brackets).
    public static func render(_ path: [JSONPathComponent]) -> String {
        var text = ""
        for component in path {
            if case .key = component, !text.isEmpty { text += "." }
            text += component.description
        }
        return text
    }
}
