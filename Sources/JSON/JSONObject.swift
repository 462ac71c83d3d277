/// The members of a JSON object, in the order they were written, each key once.
///
/// Order is kept because some readers care which member comes first (the safetensors validator
/// reports the first bad tensor as written); lookup by key is still a dictionary lookup.
/// Equality ignores order, as RFC 8259 objects are unordered: `{"a":1,"b":2} == {"b":2,"a":1}`.
public struct JSONObject: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One member: its key and value.
    public typealias Member = (key: String, value: JSONValue)

    /// The members in order.
    public private(set) var members: [Member] = []
    /// Where each key is in ``members``, so that lookups do not scan.
    private var positions: [String: Int] = [:]

    /// An empty object.
    public init() {}

    /// The members of `dictionary`, ordered by key (a dictionary has no order of its own, and a
    /// deterministic one keeps outputs stable).
    public init(_ dictionary: [String: JSONValue]) {
        for key in dictionary.keys.sorted() { self[key] = dictionary[key] }
    }

    /// The members in the order given; a repeated key keeps its first place and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// How many members there are.
    public var count: Int { members.count }

    /// Whether there are no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The value of `key`, `nil` if absent. Setting a new key appends it; setting an existing one
    /// replaces its value in place; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { positions[key].map { members[$0].value } }
        set {
            if let position = positions[key] {
                if let newValue {
                    members[position].value = newValue
                } else {
                    members.remove(at: position)
                    positions[key] = nil
                    for index in position..<members.count { positions[members[index].key] = index }
                }
            } else if let newValue {
                positions[key] = members.count
                members.append((key, newValue))
            }
        }
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { positions[key] != nil }

    /// Appends a member whose key the caller knows is absent (the parser, which has checked).
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        positions[key] = members.count
        members.append((key, value))
    }

    /// Iterates the members in order.
    public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }
}

extension JSONObject: Equatable {
    /// The same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.members.allSatisfy { rhs[$0.key] == $0.value }
    }
}
