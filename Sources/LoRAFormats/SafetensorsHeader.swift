/// The validated header of a safetensors file.
///
/// Layout: an unsigned 64-bit little-endian header length `N`, `N` bytes of UTF-8 JSON, then
/// the tensor data. Every check of the reference implementation (`safetensors/src/tensor.rs`)
/// is made, plus: the header must start with `{` (as A1111 and safetensors ≥ 0.4 require),
/// duplicate keys are refused, tensor entries have exactly `dtype`, `shape`, `data_offsets`,
/// and at least one tensor must follow a LoRA naming convention (see ``LoRAKeyConventions``).
public struct SafetensorsHeader: Sendable {
    /// One tensor described by the header.
    public struct TensorEntry: Sendable, Equatable {
        /// The tensor's key in the header, e.g. `diffusion_model.blocks.0.self_attn.q.lora_up.weight`.
        public let name: String
        /// The dtype string as written, e.g. `BF16` (always one of ``SafetensorsDType``).
        public let dtype: String
        /// The dimensions.
        public let shape: [UInt64]
        /// The first byte, relative to ``SafetensorsHeader/dataStart``.
        public let begin: UInt64
        /// One past the last byte, relative to ``SafetensorsHeader/dataStart``.
        public let end: UInt64
    }

    /// What ``SafetensorsHeader/parse(prefix:)`` concluded from the bytes it was given.
    public enum PrefixResult: Sendable {
        /// The prefix is too short: call again with at least this many bytes from the start.
        case needBytes(UInt64)
        /// The header arrived in full and is valid.
        case header(SafetensorsHeader)
    }

    /// The largest header length accepted, as in the reference implementation.
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// The JSON header length `N` from the first 8 bytes.
    public let headerLength: UInt64
    /// Where tensor data begins: `8 + headerLength`.
    public let dataStart: UInt64
    /// The tensors, sorted by their begin offset.
    public let tensors: [TensorEntry]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]

    /// The exact size the whole file must have: `dataStart` + the end of the last tensor.
    public var expectedFileSize: UInt64 {
        dataStart + (tensors.last?.end ?? 0)
    }

    /// Parses the beginning of a file.
    ///
    /// Returns ``PrefixResult/needBytes(_:)`` until the whole header is present, then validates
    /// it. A header length over ``maxHeaderLength`` is refused as soon as 8 bytes are known.
    public static func parse(prefix: [UInt8]) throws(LoRAValidationError) -> PrefixResult {
        guard prefix.count >= 8 else { return .needBytes(8) }
        let length = prefix.le64(0)
        guard length <= maxHeaderLength else {
            throw .invalid("header length \(length) exceeds the \(maxHeaderLength)-byte limit (is this really a safetensors file?)")
        }
        let total = 8 + length
        guard UInt64(prefix.count) >= total else { return .needBytes(total) }
        let json = Array(prefix[8..<Int(total)])
        return .header(try SafetensorsHeaderParser.parse(json: json, headerLength: length))
    }

    /// Reads and validates the header of `source`, then the whole-file size checks.
    public static func validate(_ source: some ByteSource) throws(LoRAValidationError) -> SafetensorsHeader {
        guard source.size >= 8 else {
            throw .invalid("file is \(source.size) bytes, too short for the 8-byte header length of a safetensors file")
        }
        let first = try source.readExactly(at: 0, count: 8, "header length")
        var result = try parse(prefix: first)
        if case .needBytes(let n) = result {
            guard n <= source.size else {
                throw .invalid("file is \(source.size) bytes, too short for its \(n)-byte header (truncated copy?)")
            }
            result = try parse(prefix: try source.readExactly(at: 0, count: Int(n), "header"))
        }
        guard case .header(let header) = result else { throw .invalid("header could not be read") }
        try header.validate(fileSize: source.size)
        return header
    }

    /// The whole-file checks: the header lies inside the file and the last tensor ends exactly
    /// at the end of the file (no truncation, no trailing bytes).
    public func validate(fileSize: UInt64) throws(LoRAValidationError) {
        guard fileSize >= dataStart else {
            throw .invalid("file is \(fileSize) bytes, too short for its \(dataStart)-byte header (truncated copy?)")
        }
        let expected = expectedFileSize
        if fileSize < expected {
            throw .invalid("file is \(fileSize) bytes but its header describes \(expected) bytes (truncated copy?)")
        }
        if fileSize > expected {
            throw .invalid("file is \(fileSize) bytes but its header describes only \(expected) bytes (\(fileSize - expected) unexpected trailing bytes)")
        }
    }

    /// The tensor named `name`, if any.
    public func tensor(named name: String) -> TensorEntry? {
        tensors.first { $0.name == name }
    }

    init(headerLength: UInt64, tensors: [TensorEntry], metadata: [String: String]) {
        self.headerLength = headerLength
        self.dataStart = 8 + headerLength
        self.tensors = tensors
        self.metadata = metadata
    }
}
