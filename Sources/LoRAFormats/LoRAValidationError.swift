/// The two kinds of LoRA file this filesystem stores.
public enum LoRAFileKind: String, Sendable, Codable, CaseIterable {
    /// A safetensors file: an 8-byte header length, a JSON header, then raw tensor data.
    case safetensors
    /// A PyTorch checkpoint written by `torch.save` (zip or legacy pickle format).
    case ckpt

    /// The file name extension, with its dot: `.safetensors`, `.ckpt` (matched in any case).
    public var fileExtension: String { "." + rawValue }
}

/// Why a file is refused.
///
/// `reason` is a precise, human sentence that does not contain the file name, for example
/// `tensor "x.lora_up.weight": data_offsets [8, 24] overlap the previous tensor`.
public struct LoRAValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad category of the problem.
    public enum Kind: Sendable, Equatable {
        /// The bytes are not a well-formed file of the claimed kind (corrupt, truncated, wrong type).
        case invalidFormat
        /// The file is a pickle that could run code or import something outside the allow-list.
        case unsafePickle
    }

    /// The category of the problem.
    public let kind: Kind
    /// A human sentence explaining the problem, without the file name.
    public let reason: String

    /// Creates an error of `kind` explained by `reason`.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The reason, prefixed with "unsafe pickle: " for ``Kind/unsafePickle`` errors.
    public var description: String {
        switch kind {
        case .invalidFormat: return reason
        case .unsafePickle: return "unsafe pickle: \(reason)"
        }
    }

    static func invalid(_ reason: String) -> LoRAValidationError {
        LoRAValidationError(.invalidFormat, reason)
    }

    static func unsafe(_ reason: String) -> LoRAValidationError {
        LoRAValidationError(.unsafePickle, reason)
    }
}

/// Random access to the bytes of a file being validated (the caller wraps a local spool file).
public protocol ByteSource {
    /// The total size of the file in bytes.
    var size: UInt64 { get }
    /// Returns exactly `count` bytes at `offset` (or fewer only at end of file).
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

/// A ``ByteSource`` over bytes already in memory (handy for prefixes and tests).
public struct InMemoryByteSource: ByteSource, Sendable {
    /// The bytes served by this source.
    public let bytes: [UInt8]

    /// Creates a source serving `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The number of bytes held.
    public var size: UInt64 { UInt64(bytes.count) }

    /// Returns up to `count` bytes at `offset`; fewer only at the end.
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset < UInt64(bytes.count), count > 0 else { return [] }
        let start = Int(offset)
        let end = start + min(count, bytes.count - start)
        return Array(bytes[start..<end])
    }
}

extension ByteSource {
    /// Reads exactly `count` bytes at `offset`, turning I/O failures and short reads into
    /// ``LoRAValidationError`` values that name `what` was being read.
    func readExactly(at offset: UInt64, count: Int, _ what: String) throws(LoRAValidationError) -> [UInt8] {
        if count == 0 { return [] }
        let end = offset.addingReportingOverflow(UInt64(count))
        guard !end.overflow, end.partialValue <= size else {
            throw .invalid("\(what) at offset \(offset) (\(count) bytes) runs past the end of the \(size)-byte file")
        }
        let bytes: [UInt8]
        do {
            bytes = try read(at: offset, count: count)
        } catch {
            throw .invalid("could not read \(what) at offset \(offset): \(error)")
        }
        guard bytes.count == count else {
            throw .invalid("\(what) at offset \(offset): expected \(count) bytes, got \(bytes.count)")
        }
        return bytes
    }
}

/// Little-endian integer decoding of byte arrays.
extension Array where Element == UInt8 {
    func le16(_ at: Int) -> UInt16 {
        UInt16(self[at]) | UInt16(self[at + 1]) << 8
    }

    func le32(_ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in (0..<4).reversed() { v = v << 8 | UInt32(self[at + i]) }
        return v
    }

    func le64(_ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(self[at + i]) }
        return v
    }

    /// Space-separated lowercase hex of the first `n` bytes, e.g. `3c 21 44 4f`.
    func hexPrefix(_ n: Int) -> String {
        prefix(n).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: " ")
    }
}

extension LoRAFileKind {
    /// The kind the first bytes of a file look like, or nil: a safetensors file's
    /// JSON header opens at byte 8; a checkpoint is a zip archive (`torch.save`)
    /// or a pickle with a protocol opcode (the legacy format).
    public static func sniff(_ prefix: [UInt8]) -> LoRAFileKind? {
        if prefix.count > 8, prefix[8] == UInt8(ascii: "{") { return .safetensors }
        if prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) || prefix.first == 0x80 { return .ckpt }
        return nil
    }
}
