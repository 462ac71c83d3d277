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

    /// Fully validates a checkpoint: the container structure and every opcode of its pickles.
    public static func validate(_ source: some ByteSource) throws(LoRAValidationError) -> CheckpointSummary {
        let head = try source.readExactly(at: 0, count: Int(min(source.size, 15)), "file start")
        try checkPrefix(head)
        guard head.count >= 4 else { throw .invalid("file is \(source.size) bytes, too short for a PyTorch checkpoint") }
        if head.starts(with: zipMagic) { return try validateZip(source) }
        guard head == legacyMagicPickle else {
            // A bare pickle: walk it anyway so that a malicious one is reported as unsafe.
            _ = try PickleWalker.walk(PickleInput(source, from: 0, to: min(source.size, maxPickleSize)))
            throw .invalid("not a PyTorch checkpoint: a pickle without the torch.save magic number")
        }
        return try validateLegacy(source)
    }

    static func validateZip(_ source: some ByteSource) throws(LoRAValidationError) -> CheckpointSummary {
        let directory = try ZipDirectory.read(source)
        let pickles = directory.entries.filter { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && parts[1] == "data.pkl"
        }
        guard pickles.count == 1, let pkl = pickles.first else {
            throw .invalid(pickles.isEmpty
                ? "zip archive has no ARCHIVE/data.pkl entry; not a PyTorch checkpoint"
                : "zip archive has \(pickles.count) data.pkl entries; a PyTorch checkpoint has exactly one")
        }
        guard pkl.method == 0 else { throw .invalid("compressed data.pkl is not a PyTorch checkpoint") }
        guard pkl.flags & 1 == 0 else { throw .invalid("encrypted data.pkl is not a PyTorch checkpoint") }
        guard pkl.compressedSize == pkl.uncompressedSize else {
            throw .invalid("data.pkl is stored but its sizes differ (\(pkl.compressedSize) vs \(pkl.uncompressedSize))")
        }
        guard pkl.compressedSize <= maxPickleSize else {
            throw .invalid("data.pkl is \(pkl.compressedSize) bytes, more than the \(maxPickleSize)-byte limit")
        }
        let start = try ZipDirectory.dataOffset(of: pkl, in: source)
        let input = PickleInput(source, from: start, to: start + pkl.compressedSize)
        let walk = try PickleWalker.walk(input)
        if !input.atEnd {
            throw .invalid("data.pkl has \(input.end - input.position) bytes after its STOP opcode")
        }
        let archive = pkl.name.dropLast("data.pkl".count)
        let names = Set(directory.entries.map(\.name))
        for storage in walk.storages where !names.contains("\(archive)data/\(storage.key)") {
            throw .invalid("data.pkl refers to storage \"\(storage.key)\" but the archive has no \(archive)data/\(storage.key) entry")
        }
        return summary(.zip, walk)
    }

    static func validateLegacy(_ source: some ByteSource) throws(LoRAValidationError) -> CheckpointSummary {
        let input = PickleInput(source, from: 0, to: source.size)
        _ = try PickleWalker.walk(input) // magic number
        let version = try PickleWalker.walk(input)
        guard case .int(1001) = version.value else {
            throw .invalid("legacy checkpoint: the protocol version pickle is not 1001")
        }
        let sysInfo = try PickleWalker.walk(input)
        guard case .dict = sysInfo.value else { throw .invalid("legacy checkpoint: the sys_info pickle is not a dict") }
        let main = try PickleWalker.walk(input)
        let keys = try PickleWalker.walk(input)
        guard case .list = keys.value else { throw .invalid("legacy checkpoint: the storage-keys pickle is not a list") }
        guard keys.globals.isEmpty, sysInfo.globals.isEmpty, version.globals.isEmpty else {
            throw .unsafe("legacy checkpoint: a header pickle imports globals, which torch.save never writes")
        }
        // Each storage follows as an 8-byte element count and its raw bytes.
        var sizes: [String: Int] = [:]
        for storage in main.storages { sizes[storage.key] = storage.type.flatMap(PickleAllowList.elementSize(ofStorage:)) }
        for key in Set(main.storages.map(\.key)).sorted() { // torch writes them in sorted key order
            guard let elementSize = sizes[key] else { return summary(.legacy, main) }
            let count = try input.uint(8, "storage \(key) size")
            let bytes = count.multipliedReportingOverflow(by: UInt64(elementSize))
            guard !bytes.overflow else { throw .invalid("legacy checkpoint: storage \"\(key)\" size overflows") }
            do { try input.skip(bytes.partialValue, "storage \(key)") } catch {
                throw .invalid("file is \(source.size) bytes but storage \"\(key)\" needs \(bytes.partialValue) bytes at offset \(input.position) (truncated copy?)")
            }
        }
        return summary(.legacy, main)
    }

    static func summary<S>(_ format: CheckpointSummary.Format, _ walk: PickleWalker<S>.Result) -> CheckpointSummary {
        CheckpointSummary(format: format, globals: walk.globals.sorted(), tensorCount: walk.tensorCount,
                          storageCount: Set(walk.storages.map(\.key)).count)
    }
}
