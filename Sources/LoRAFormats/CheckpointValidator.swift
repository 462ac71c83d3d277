/// What ``CheckpointValidator/validate(_:)`` learned about a `.ckpt` file.
public struct CheckpointSummary: Sendable, Equatable {
    /// The container format written by `torch.save`.
    public enum Format: String, Sendable, Codable {
        /// PyTorch ≥ 1.6: a stored (uncompressed) zip with `ARCHIVE/data.pkl` and `ARCHIVE/data/KEY`.
        case zip
        /// Older PyTorch: a chain of pickles after the magic number, then raw storages.
        case legacy
    }

    /// The container format.
    public let format: Format
    /// Every global the main pickle imports (all in ``PickleAllowList``), sorted.
    public let globals: [String]
    /// The number of tensors rebuilt (REDUCEs of `torch._utils._rebuild_tensor_v2` or `_rebuild_tensor`).
    public let tensorCount: Int
    /// The number of distinct storages the pickle refers to.
    public let storageCount: Int
}

/// Validation of PyTorch checkpoints (`.ckpt`) without executing their pickles.
///
/// The pickle is walked statically by an allow-list walker modelled on PyTorch's
/// `weights_only` unpickler: protocol ≤ 2 opcodes only, globals from ``PickleAllowList`` only.
public enum CheckpointValidator {
    /// The first pickle of a legacy checkpoint: the long 0x1950A86A20F9469CFC6C, protocol 2.
    public static let legacyMagicPickle: [UInt8] = [
        0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
    ]
    /// The largest `data.pkl` accepted (a LoRA's is a few hundred kilobytes).
    public static let maxPickleSize: UInt64 = 512 << 20
    static let zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// Fails fast on the first bytes of a file: accepts the start of a zip (`PK\x03\x04`) or of a
    /// pickle with PROTO ≤ 2 (which includes the legacy magic-number pickle). Looks at the
    /// first 4 bytes only; with fewer than 4 it never throws (the full check decides).
    public static func checkPrefix(_ bytes: [UInt8]) throws(LoRAValidationError) {
        guard bytes.count >= 4 else { return }
        let head = Array(bytes.prefix(4))
        if head == zipMagic { return }
        if head[0] == 0x80 {
            if head[1] <= 2 { return }
            throw .invalid("not a PyTorch checkpoint: pickle protocol \(head[1]) (torch.save writes protocol 2)")
        }
        throw .invalid("not a PyTorch checkpoint: starts with bytes \(head.hexPrefix(4))\(guess(head))")
    }

    /// A hint about what the bytes are instead, for the refusal message.
    static func guess(_ head: [UInt8]) -> String {
        if head.first == UInt8(ascii: "<") { return " (HTML?)" }
        if head.first == UInt8(ascii: "{") { return " (JSON?)" }
        if head.count >= 2, head[0] == 0x1F, head[1] == 0x8B { return " (gzip?)" }
        if head.starts(with: [0x50, 0x4B]) { return " (a zip archive that does not start with a file entry)" }
        return ""
    }

    /// Fully validates a checkpoint the way `torch.load` reads it: a file starting with
    /// `PK\x03\x04` as a zip archive (`CheckpointValidator+Zip.swift`), anything else as a
    /// legacy file (`CheckpointValidator+Legacy.swift`) after making sure it is not a tar archive,
    /// which torch's legacy loader would open first. Every opcode of every pickle is checked.
    ///
    /// A pickle without the magic number is refused; one of protocol 0 or 1 (which
    /// ``checkPrefix(_:)`` already refuses by its first bytes) is walked first, so that a
    /// malicious one is reported as unsafe.
    public static func validate(_ source: some ByteSource) throws(LoRAValidationError) -> CheckpointSummary {
        let head = try source.readExactly(at: 0, count: Int(min(source.size, 15)), "file start")
        guard head.count >= 4 else { throw .invalid("file is \(source.size) bytes, too short for a PyTorch checkpoint") }
        if head.starts(with: zipMagic) { return try validateZip(source) }
        try refuseTar(source)
        guard head == legacyMagicPickle else {
            let prefixError: LoRAValidationError?
            do { try checkPrefix(head); prefixError = nil } catch { prefixError = error }
            if prefixError == nil || PickleOpcode.startsProtocol0Pickle(head[0]) {
                // A bare pickle: walk it anyway so that a malicious one is reported as unsafe.
                do { _ = try PickleWalker.walk(PickleInput(source, from: 0, to: min(source.size, maxPickleSize))) } catch {
                    if error.kind == .unsafePickle || prefixError == nil { throw error }
                    throw prefixError!
                }
                throw .invalid("not a PyTorch checkpoint: a pickle without the torch.save magic number")
            }
            throw prefixError!
        }
        return try validateLegacy(source)
    }

    static func summary<S>(_ format: CheckpointSummary.Format, _ walk: PickleWalker<S>.Result) -> CheckpointSummary {
        CheckpointSummary(format: format, globals: walk.globals.sorted(), tensorCount: walk.tensorCount,
                          storageCount: walk.storages.count)
    }
}
