/// A JSON value: what ``JSONParser`` reads and ``JSONWriter`` writes.
///
/// Numbers keep their text (``JSONNumber``), so integer views are exact up to `UInt64.max` and
/// `81` (an integer) stays distinct from `81.0` (a number). Objects keep their members in order
/// (``JSONObject``), each key once.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as written (see ``int(_:)`` and ``double(_:)`` to make one).
    case number(JSONNumber)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, its members in order.
    case object(JSONObject)

    /// The integer `value` as a JSON number.
    public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

    /// The double `value` as a JSON number, always written with a fraction or exponent (`4.0`);
    /// `null` for NaN and the infinities, which JSON cannot express.
    public static func double(_ value: Double) -> JSONValue { JSONNumber(value).map(JSONValue.number) ?? .null }

    /// The members of `dictionary` as an object, ordered by key.
    public static func object(_ dictionary: [String: JSONValue]) -> JSONValue { .object(JSONObject(dictionary)) }

    /// The JSON Schema name of this value's type: `null`, `boolean`, `integer` (a number written
    /// without fraction or exponent), `number`, `string`, `array` or `object`.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.isInteger ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The number, when the value is one.
    public var jsonNumber: JSONNumber? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// Whether the value is a number written as an integer (`81`, not `81.0`).
    public var isInteger: Bool { jsonNumber?.isInteger ?? false }

    /// The exact `Int` of a number written as an integer that fits (`81`; not `81.0`).
    public var intValue: Int? { jsonNumber?.intValue }

    /// The exact `UInt64` of a number written as a non-negative integer that fits.
    public var uint64Value: UInt64? { jsonNumber?.uint64Value }

    /// The value as an integer when it is a whole number, also when written as `81.0`
    /// (as JSON Schema does); see ``JSONNumber/integerValue``.
    public var integerValue: Int? { jsonNumber?.integerValue }

    /// The value as a `Double` (integers included), when it is a number.
    public var numberValue: Double? { jsonNumber?.doubleValue }

    /// The string, when the value is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, when the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, when the value is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member `key` of an object (`nil` for a missing key or a non-object).
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// A short rendering for error messages: compact JSON, cut to about `limit` characters.
    public func excerpt(limit: Int = 60) -> String {
        let text = String(decoding: JSONWriter.encode(self, pretty: false), as: UTF8.self)
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "…"
    }
}

/// Literals, so that tests and request builders read like the JSON they make:
/// `["model": "t2v-A14B", "frames": 81, "scale": 0.8, "image": nil]`.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// `"text"` is a string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `81` is an integer.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// `0.8` is a number (never an integer, even `1.0`).
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `true`, `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `[...]` is an array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// `nil` is `null`.
    public init(nilLiteral: ()) { self = .null }
    /// Members in the order written; a repeated key keeps its first place and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}
