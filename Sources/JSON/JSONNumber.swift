/// A JSON number, kept as the text it was written as.
///
/// Keeping the text (rather than converting to `Double` on parse) is what makes the integer views
/// exact: a safetensors offset of `18446744073709551615` is `UInt64.max`, not the nearest double.
/// It also keeps how the number was written, which JSON Schema cares about: `81` is an integer,
/// `81.0` and `8.1e1` are numbers (see ``isInteger``).
public struct JSONNumber: Sendable, CustomStringConvertible {
    /// The number as written, always valid RFC 8259 number syntax (`-12`, `0.5`, `1e-05`).
    public let text: String
    /// Whether ``text`` has neither a fraction nor an exponent (`81`, not `81.0` or `8.1e1`).
    public let isInteger: Bool

    /// Trusted constructor for the parser, which has already checked the syntax.
    init(validatedText text: String, isInteger: Bool) {
        self.text = text
        self.isInteger = isInteger
    }

    /// The integer `value`, written as digits.
    public init(_ value: Int) { self.init(validatedText: String(value), isInteger: true) }

    /// The integer `value`, written as digits (all of `UInt64`, beyond `Int.max`).
    public init(_ value: UInt64) { self.init(validatedText: String(value), isInteger: true) }

    /// `value` in Swift's shortest round-tripping form (`0.8`, `1.0`, `1e-05`): always with a
    /// fraction or exponent, so it stays a "number" rather than an "integer" when read back.
    /// `nil` for NaN and the infinities, which JSON cannot express.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        self.init(validatedText: "\(value)", isInteger: false)
    }

    /// The number `text` if it is one JSON number (and finite as a double), else `nil`.
    public init?(text: String) {
        guard case .number(let number)? = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        self = number
    }

    /// The exact `Int`, when the number is written as an integer that fits.
    public var intValue: Int? { isInteger ? Int(text) : nil }

    /// The exact `UInt64`, when the number is written as a non-negative integer that fits
    /// (`-0` is not one: a safetensors offset has no sign).
    public var uint64Value: UInt64? {
        guard isInteger, text.utf8.first != UInt8(ascii: "-") else { return nil }
        return UInt64(text)
    }

    /// The nearest `Double` (exact for integers up to 2^53). Always finite: the parser refuses
    /// numbers out of the double range and the `Double` initializer refuses non-finite ones.
    public var doubleValue: Double { Double(text) ?? .nan }

    /// The value as an integer when it is a whole number, also when written as `81.0` or `8.1e1`
    /// (as JSON Schema's "integer" does), and within ±9e15 for a non-integer spelling so the
    /// double it comes from is exact.
    public var integerValue: Int? {
        if let exact = intValue { return exact }
        let double = doubleValue
        guard double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return Int(double)
    }

    /// ``text``.
    public var description: String { text }
}

extension JSONNumber: Equatable {
    /// Integers are equal when they have the same value, other numbers when their doubles are
    /// equal; an integer never equals a non-integer (`81 != 81.0`), as the two are different
    /// JSON Schema types. Integers too large for `Int`/`UInt64` compare by text.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        switch (lhs.isInteger, rhs.isInteger) {
        case (true, true):
            if let a = lhs.intValue, let b = rhs.intValue { return a == b }
            if let a = lhs.uint64Value, let b = rhs.uint64Value { return a == b }
            return lhs.text == rhs.text
        case (false, false):
            return lhs.doubleValue == rhs.doubleValue
        default:
            return false
        }
    }
}
