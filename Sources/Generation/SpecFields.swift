import JSON
/// Typed, strict access to the members of one JSON object of a spec, producing ``SpecError``s
/// that name the field (`frames`, `loras[1].scale`) and the offending value.
///
/// A member that is `null` counts as absent.
struct SpecFields {
    let members: JSONObject
    /// The object's own path (`""` for the top level, `loras[1]` for an entry).
    let path: String

    /// The path of member `key`.
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key`, `nil` when missing or `null`.
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// Refuses the first member (in sorted order, so the message does not depend on how the spec
    /// was written) not in `allowed`, suggesting `hints[key]` if any.
    func rejectUnknown(allowed: [String], hints: [String: String] = [:]) throws(SpecError) {
        for key in members.keys.sorted() where !allowed.contains(key) {
            var reason = "unknown field \(quoted(key))"
            if let hint = hints[key] { reason += " (did you mean \(quoted(hint))?)" }
            reason += "; allowed here: " + allowed.joined(separator: ", ")
            throw SpecError(field: field(key), reason: reason)
        }
    }

    /// Refuses a missing (or `null`) member.
    func require(_ key: String, _ what: String) throws(SpecError) -> JSONValue {
        guard let value = value(key) else { throw SpecError(field: field(key), reason: "missing: \(what) is required") }
        return value
    }

    /// A wrong-type error: `expected an integer, got "81" (a string)`.
    func wrongType(_ key: String, expected: String, got value: JSONValue) -> SpecError {
        SpecError(field: field(key), reason: "expected \(expected), got \(value.excerpt()) (\(article(value.typeName)))")
    }

    func string(_ key: String, maxLength: Int = 2000) throws(SpecError) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue else { throw wrongType(key, expected: "a string", got: value) }
        if text.count > maxLength {
            throw SpecError(
                field: field(key),
                reason: "\(JSONValue.string(text).excerpt(limit: 40)) is too long (\(text.count) characters, at most \(maxLength))")
        }
        return text
    }

    func bool(_ key: String) throws(SpecError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, expected: "true or false", got: value) }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(SpecError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.numberValue else { throw wrongType(key, expected: "an integer", got: value) }
        guard let integer = value.integerValue else {
            let problem = number.rounded() == number ? "is out of range (\(range.lowerBound)...\(range.upperBound))" : "is not a whole number"
            throw SpecError(field: field(key), reason: "\(value.excerpt()) \(problem)")
        }
        guard range.contains(integer) else {
            throw SpecError(field: field(key), reason: "\(integer) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return integer
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(SpecError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.numberValue else { throw wrongType(key, expected: "a number", got: value) }
        guard range.contains(number) else {
            throw SpecError(
                field: field(key),
                reason: "\(value.excerpt()) is out of range (\(format(range.lowerBound))...\(format(range.upperBound)))")
        }
        return number
    }

    /// A string that must be one of `choices` (compared case-insensitively; the choice is returned).
    func choice(_ key: String, _ choices: [String], what: String) throws(SpecError) -> String? {
        guard let text = try string(key) else { return nil }
        if let match = choices.first(where: { $0.lowercased() == text.lowercased() }) { return match }
        throw SpecError(field: field(key), reason: "\(quoted(text)) is not a known \(what) (allowed: \(choices.joined(separator: ", ")))")
    }

    private func article(_ typeName: String) -> String {
        switch typeName {
        case "null": "null"
        case "integer", "array", "object": "an \(typeName)"
        default: "a \(typeName)"
        }
    }
}

/// `4`, `0.5`: a bound without a needless `.0`.
func format(_ number: Double) -> String {
    number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : "\(number)"
}
