import Catalog

/// The record types to and from PostgreSQL's text format, in the column order of the
/// `columns` lists (the order of every SELECT and INSERT that uses them).
extension LoRARecord {
    static let columns = """
        name, object_key, size, sha256, uploaded_at, kind, rank, hidden_size, has_image_cross_attention, \
        timestep_range, trigger_phrase, base_model
        """

    init(row: [String?]) throws(PQError) {
        var reader = RowReader(row)
        self.init(name: try reader.text(), objectKey: try reader.text(), size: try reader.int64(),
                  sha256: try reader.text(), uploadedAt: try reader.double(), kind: try reader.text(),
                  rank: try reader.optionalInt(), hiddenSize: try reader.optionalInt(),
                  hasImageCrossAttention: try reader.bool(), timestepRange: reader.optionalText(),
                  triggerPhrase: reader.optionalText(), baseModel: reader.optionalText())
    }

    /// The values of `columns`, in order.
    var values: [String?] {
        [name, objectKey, String(size), sha256, Encode.double(uploadedAt), kind, rank.map(String.init),
         hiddenSize.map(String.init), Encode.bool(hasImageCrossAttention), timestepRange, triggerPhrase, baseModel]
    }
}

extension JobRecord {
    static let columns = """
        name, spec, backend, backend_id, status_url, response_url, cancel_url, state, error, created_at, \
        updated_at, output_key, output_size
        """

    init(row: [String?]) throws(PQError) {
        var reader = RowReader(row)
        self.init(name: try reader.text(), spec: try reader.text(), backend: try reader.text(),
                  backendID: try reader.text(), statusURL: reader.optionalText(), responseURL: reader.optionalText(),
                  cancelURL: reader.optionalText(), state: try reader.text(), error: reader.optionalText(),
                  createdAt: try reader.double(), updatedAt: try reader.double(), outputKey: reader.optionalText(),
                  outputSize: try reader.optionalInt64())
    }

    /// The values of `columns`, in order.
    var values: [String?] {
        [name, spec, backend, backendID, statusURL, responseURL, cancelURL, state, error, Encode.double(createdAt),
         Encode.double(updatedAt), outputKey, outputSize.map(String.init)]
    }
}

/// Swift values in the text format PostgreSQL reads.
enum Encode {
    /// Swift writes the shortest text that reads back as the same `Double`, as PostgreSQL
    /// (12 and later) does; only the names of the special values differ.
    static func double(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    static func bool(_ value: Bool) -> String { value ? "true" : "false" }

    /// A one-dimensional array literal (`{"a","b\"c",NULL}`) for a `$n::type[]` parameter:
    /// every element quoted, `"` and `\` escaped, nil as NULL. It is a value, never SQL.
    static func array(_ elements: [String?]) -> String {
        let quoted = elements.map { element -> String in
            guard let element else { return "NULL" }
            var text = "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { text.unicodeScalars.append("\\") }
                text.unicodeScalars.append(character)
            }
            return text + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}

/// Reads one row's values in order; a value that does not parse is an error, never a default.
struct RowReader {
    private let row: [String?]
    private var index = 0

    init(_ row: [String?]) { self.row = row }

    mutating func optionalText() -> String? {
        defer { index += 1 }
        return index < row.count ? row[index] : nil
    }

    mutating func text() throws(PQError) -> String {
        guard let value = optionalText() else { throw unexpected("NULL") }
        return value
    }

    mutating func int64() throws(PQError) -> Int64 {
        let value = try text()
        guard let number = Int64(value) else { throw unexpected(value) }
        return number
    }

    mutating func optionalInt64() throws(PQError) -> Int64? {
        guard let value = optionalText() else { return nil }
        guard let number = Int64(value) else { throw unexpected(value) }
        return number
    }

    mutating func optionalInt() throws(PQError) -> Int? {
        try optionalInt64().map { number throws(PQError) in
            guard let value = Int(exactly: number) else { throw unexpected(String(number)) }
            return value
        }
    }

    mutating func double() throws(PQError) -> Double {
        let value = try text()
        switch value {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let number = Double(value) else { throw unexpected(value) }
            return number
        }
    }

    mutating func bool() throws(PQError) -> Bool {
        switch try text() {
        case "t": return true
        case "f": return false
        case let value: throw unexpected(value)
        }
    }

    private func unexpected(_ value: String) -> PQError {
        PQError(sqlState: SQLState.invalidTextRepresentation,
                message: "unexpected value \(value) in column \(index) of a catalog row", connectionLost: false)
    }
}
