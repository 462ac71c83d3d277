import JSON
/// Turns the JSON bytes of a safetensors header into a validated ``SafetensorsHeader``.
enum SafetensorsHeaderParser {
    static let metadataKey = "__metadata__"
    static let tensorFields: Set<String> = ["dtype", "shape", "data_offsets"]
    /// Repeated keys are refused: two entries for one tensor name make the file ambiguous (readers
    /// disagree on which wins), which is exactly what a validator must not let through. No
    /// byte-order mark: the header must start with "{". Numbers keep their text, so offsets up
    /// to `UInt64.max` are exact; members keep their order, so the first bad tensor as written
    /// is the one reported.
    static let headerOptions = JSONParser.Options(duplicateKeys: .refuse, maxDepth: 64, allowsByteOrderMark: false)

    static func parse(json: [UInt8], headerLength: UInt64) throws(LoRAValidationError) -> SafetensorsHeader {
        guard String(validating: json, as: UTF8.self) != nil else {
            throw .invalid("header is not valid UTF-8")
        }
        guard json.first == UInt8(ascii: "{") else {
            let start = json.isEmpty ? "nothing" : "bytes \(json.hexPrefix(4))"
            throw .invalid("header does not start with \"{\" (it starts with \(start)); not a safetensors file")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(json, options: headerOptions)
        } catch let failure {
            if let key = failure.repeatedKey {
                if failure.depth == 0 { throw .invalid("tensor name \"\(key)\" appears more than once in the header") }
                throw .invalid("header repeats the key \"\(key)\" inside an entry")
            }
            throw .invalid("header is not valid JSON: \(failure.message) at byte \(failure.offset)")
        }
        guard case .object(let members) = root else { throw .invalid("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var tensors: [SafetensorsHeader.TensorEntry] = []
        for (key, value) in members {
            if key == metadataKey {
                metadata = try parseMetadata(value)
            } else {
                tensors.append(try parseTensor(name: key, value))
            }
        }
        tensors.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        try checkLayout(tensors)
        // Offsets are exact up to UInt64.max, so the file size they imply can exceed 64 bits;
        // refuse that here rather than overflow later in `expectedFileSize`.
        if let last = tensors.last, last.end > UInt64.max - 8 - headerLength {
            throw .invalid("tensor \"\(last.name)\": data_offsets end at \(last.end), beyond the largest possible file")
        }
        guard tensors.contains(where: { LoRAKeyConventions.isLoRATensor($0.name) }) else {
            throw .invalid("no LoRA tensors found (expected names like ...lora_up.weight or ...lora_A.weight); is this a full model rather than a LoRA?")
        }
        return SafetensorsHeader(headerLength: headerLength, tensors: tensors, metadata: metadata)
    }

    static func parseMetadata(_ value: JSONValue) throws(LoRAValidationError) -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let entries) = value else {
            throw .invalid("\"__metadata__\" must be an object mapping strings to strings")
        }
        var result: [String: String] = [:]
        for (key, entry) in entries {
            guard case .string(let text) = entry else {
                throw .invalid("\"__metadata__\" value for \"\(key)\" is not a string")
            }
            result[key] = text
        }
        return result
    }

    static func parseTensor(name: String, _ value: JSONValue) throws(LoRAValidationError) -> SafetensorsHeader.TensorEntry {
        guard case .object(let fields) = value else {
            throw .invalid("tensor \"\(name)\": entry is not an object with dtype, shape and data_offsets")
        }
        for field in fields where !tensorFields.contains(field.key) {
            throw .invalid("tensor \"\(name)\": unexpected field \"\(field.key)\" (only dtype, shape and data_offsets are allowed)")
        }
        func field(_ key: String) throws(LoRAValidationError) -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else {
                throw .invalid("tensor \"\(name)\": missing \"\(key)\"")
            }
            return found.value
        }
        guard case .string(let dtypeText) = try field("dtype") else {
            throw .invalid("tensor \"\(name)\": dtype is not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeText) else {
            throw .invalid("tensor \"\(name)\": dtype \"\(dtypeText)\" is not a safetensors dtype")
        }
        guard case .array(let dims) = try field("shape"), let shape = uintList(dims) else {
            throw .invalid("tensor \"\(name)\": shape must be a list of non-negative integers")
        }
        guard case .array(let offsetValues) = try field("data_offsets"), let offsets = uintList(offsetValues),
              offsets.count == 2
        else {
            throw .invalid("tensor \"\(name)\": data_offsets must be two non-negative integers [begin, end]")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw .invalid("tensor \"\(name)\": data_offsets [\(begin), \(end)] end before they begin")
        }
        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        switch dtype.byteCount(of: shape) {
        case .failure(.overflow):
            throw .invalid("tensor \"\(name)\": shape \(shapeText) of \(dtypeText) is too large (its size overflows 64 bits)")
        case .failure(.partialByte(let bits)):
            throw .invalid("tensor \"\(name)\": shape \(shapeText) of \(dtypeText) is \(bits) bits, not a whole number of bytes")
        case .success(let needed):
            guard needed == end - begin else {
                throw .invalid("tensor \"\(name)\": shape \(shapeText) of \(dtypeText) needs \(needed) bytes but data_offsets span \(end - begin)")
            }
        }
        return .init(name: name, dtype: dtypeText, shape: shape, begin: begin, end: end)
    }

    /// Tensors sorted by offset must tile the data section from 0 with no gaps or overlaps.
    static func checkLayout(_ tensors: [SafetensorsHeader.TensorEntry]) throws(LoRAValidationError) {
        var previousEnd: UInt64 = 0
        for (index, t) in tensors.enumerated() {
            let range = "data_offsets [\(t.begin), \(t.end)]"
            if t.begin < previousEnd {
                throw .invalid("tensor \"\(t.name)\": \(range) overlap the previous tensor")
            }
            if t.begin > previousEnd {
                if index == 0 {
                    throw .invalid("tensor \"\(t.name)\": \(range) do not start at 0 (the first tensor must begin the data section)")
                }
                throw .invalid("tensor \"\(t.name)\": \(range) leave a gap after the previous tensor, which ends at \(previousEnd)")
            }
            previousEnd = t.end
        }
    }

    static func uintList(_ values: [JSONValue]) -> [UInt64]? {
        var result: [UInt64] = []
        result.reserveCapacity(values.count)
        for value in values {
            guard let n = value.uint64Value else { return nil }
            result.append(n)
        }
        return result
    }
}
