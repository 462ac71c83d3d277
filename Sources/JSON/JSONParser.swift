/// The one JSON parser (RFC 8259) over UTF-8 bytes, with its strictness as ``Options``.
///
/// Always strict about syntax: one value with only whitespace around it, no comments, no trailing
/// commas, no single quotes, no `NaN`, no leading zeros, no numbers outside the `Double` range,
/// no unescaped control characters in strings, valid UTF-8 in strings and paired surrogates.
/// The options decide what differs between callers: repeated object keys, the nesting bound and
/// a leading UTF-8 byte-order mark.
public struct JSONParser {
    /// What the parser accepts beyond plain RFC 8259.
    public struct Options: Sendable, Equatable {
        /// What to do with a key repeated in one object (RFC 8259 leaves it open).
        public enum DuplicateKeys: Sendable, Equatable {
            /// Refuse the document, naming the key (``JSONParseError/repeatedKey``) and where it is.
            case refuse
            /// Keep the key in its first place with the last value, as most parsers do.
            case lastWins
        }

        /// Repeated keys: refused or last wins.
        public var duplicateKeys: DuplicateKeys
        /// The deepest nesting of arrays and objects accepted (the top-level container is 1), so
        /// that a hostile document cannot exhaust the stack.
        public var maxDepth: Int
        /// Whether a leading UTF-8 byte-order mark (EF BB BF) is skipped; editors on some systems
        /// write one, and RFC 8259 allows a parser to ignore it.
        public var allowsByteOrderMark: Bool

        /// Options; by default strict: repeated keys refused, 64 levels, no byte-order mark.
        public init(duplicateKeys: DuplicateKeys = .refuse, maxDepth: Int = 64, allowsByteOrderMark: Bool = false) {
            self.duplicateKeys = duplicateKeys
            self.maxDepth = maxDepth
            self.allowsByteOrderMark = allowsByteOrderMark
        }

        /// Repeated keys refused, 64 levels, no byte-order mark.
        public static let strict = Options()
        /// Repeated keys last-wins, 64 levels, a byte-order mark skipped: for documents from
        /// other programs whose quirks are not ours to refuse.
        public static let lenient = Options(duplicateKeys: .lastWins, allowsByteOrderMark: true)
    }

    private let bytes: [UInt8]
    private let options: Options
    private var index: Int

    /// Parses `bytes` as one JSON document under `options`.
    public static func parse(_ bytes: [UInt8], options: Options = .strict) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, options: options)
        return try parser.document()
    }

    private init(bytes: [UInt8], options: Options) {
        self.bytes = bytes
        self.options = options
        self.index = options.allowsByteOrderMark && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    private mutating func document() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure("the document is empty") }
        let value = try self.value(depth: 0)
        skipWhitespace()
        if index < bytes.count { throw failure("unexpected \(describe(bytes[index])) after the JSON value") }
        return value
    }

    /// A value whose enclosing containers number `depth`.
    private mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal(Self.trueBytes); return .bool(true)
        case UInt8(ascii: "f"): try literal(Self.falseBytes); return .bool(false)
        case UInt8(ascii: "n"): try literal(Self.nullBytes); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected \(describe(bytes[index])), expected a value")
        }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > options.maxDepth { throw failure("nesting deeper than \(options.maxDepth) levels") }
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { index += 1; return .object(object) }
        while true {
            skipWhitespace()
            if peek(UInt8(ascii: "}")), !object.isEmpty { throw failure("trailing comma before '}'") }
            guard peek(UInt8(ascii: "\"")) else { throw failure("expected a string key in an object") }
            let keyStart = index
            let key = try string()
            let repeated = object.contains(key)
            if repeated, options.duplicateKeys == .refuse {
                throw JSONParseError("repeated key \"\(key)\"", at: keyStart, in: bytes, repeatedKey: key)
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw failure("expected ':' after the object key \"\(key)\"") }
            index += 1
            skipWhitespace()
            let member: JSONValue
            do {
                member = try value(depth: depth)
            } catch {
                throw error.inside(.key(key))
            }
            if repeated { object[key] = member } else { object.appendNew(key, member) }
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            if peek(UInt8(ascii: "}")) { index += 1; return .object(object) }
            throw failure("expected ',' or '}' after an object member")
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > options.maxDepth { throw failure("nesting deeper than \(options.maxDepth) levels") }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            if peek(UInt8(ascii: "]")), !elements.isEmpty { throw failure("trailing comma before ']'") }
            do {
                elements.append(try value(depth: depth))
            } catch {
                throw error.inside(.index(elements.count))
            }
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            if peek(UInt8(ascii: "]")) { index += 1; return .array(elements) }
            throw failure("expected ',' or ']' after an array element")
        }
    }

    private mutating func number() throws(JSONParseError) -> JSONNumber {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        if peek(UInt8(ascii: "0")) {
            index += 1
            if digitCount() > 0 { index = start; throw failure("a number has a leading zero") }
        } else if digitCount() == 0 {
            throw failure("expected a digit")
        } else {
            index += digitCount()
        }
        var isInteger = true
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard digitCount() > 0 else { throw failure("expected a digit after the decimal point") }
            index += digitCount()
            isInteger = false
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard digitCount() > 0 else { throw failure("expected a digit in the exponent") }
            index += digitCount()
            isInteger = false
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // Only an exponent or some 300 digits can leave the double range; skip the conversion
        // otherwise, as a large safetensors header holds thousands of plain integers.
        if !isInteger || index - start > 300 {
            guard let double = Double(text), double.isFinite else {
                index = start
                throw failure("the number \(text) is out of range")
            }
        }
        return JSONNumber(validatedText: text, isInteger: isInteger)
    }

    private func digitCount() -> Int {
        var end = index
        while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
        return end - index
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)

    private mutating func literal(_ word: [UInt8]) throws(JSONParseError) {
        guard bytes[index...].starts(with: word) else { throw failure("invalid literal, expected true, false or null") }
        index += word.count
    }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func describe(_ byte: UInt8) -> String {
        if (0x21..<0x7F).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private func failure(_ message: String) -> JSONParseError {
        JSONParseError(message, at: index, in: bytes)
    }
}

// MARK: - Strings

extension JSONParser {
    /// A string, starting at its opening quote.
    private mutating func string() throws(JSONParseError) -> String {
        let start = index
        index += 1
        // Most strings (keys, dtypes, names) have no escapes: take them straight from the input.
        let contentStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: bytes[contentStart..<index], as: UTF8.self) else {
                    index = start
                    throw failure("a string is not valid UTF-8")
                }
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index += 1
        }
        var utf8 = Array(bytes[contentStart..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    index = start
                    throw failure("a string is not valid UTF-8")
                }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                index += 1
                try escape(into: &utf8)
            case 0..<0x20:
                throw failure("unescaped control character \(describe(byte)) in a string")
            default:
                utf8.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func escape(into utf8: inout [UInt8]) throws(JSONParseError) {
        guard index < bytes.count else { throw failure("unterminated string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte); return
        case UInt8(ascii: "b"): utf8.append(0x08); return
        case UInt8(ascii: "f"): utf8.append(0x0C); return
        case UInt8(ascii: "n"): utf8.append(0x0A); return
        case UInt8(ascii: "r"): utf8.append(0x0D); return
        case UInt8(ascii: "t"): utf8.append(0x09); return
        case UInt8(ascii: "u"): break
        default: index -= 1; throw failure("invalid escape \\\(describe(byte))")
        }
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                throw unpaired(scalar)
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw unpaired(scalar) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw unpaired(scalar)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid code point") }
        utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
    }

    /// Both names are in use in messages callers match on ("unpaired", "lone"), so say both.
    private func unpaired(_ scalar: UInt32) -> JSONParseError {
        failure("unpaired surrogate \\u\(String(scalar, radix: 16)) (a lone surrogate is not a character)")
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("incomplete \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | digit
        }
        index += 4
        return value
    }
}

extension JSONParseError {
    /// The error as seen from the container one level up, which holds it at `component`.
    func inside(_ component: JSONPathComponent) -> JSONParseError {
        var error = self
        error.path.insert(component, at: 0)
        return error
    }
}
