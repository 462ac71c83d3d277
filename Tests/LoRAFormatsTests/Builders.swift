import LoRAFormats
import Testing

/// Builders of test files in memory: safetensors, pickle opcode streams, stored zip archives.

// MARK: safetensors

/// A tensor for ``safetensors(_:metadata:)``: offsets are assigned contiguously.
struct T {
    var name: String
    var dtype = "F16"
    var shape: [UInt64] = [4, 4]
    var byteCount: UInt64 {
        let bits: UInt64 = ["F32": 32, "BF16": 16, "F16": 16, "U8": 8, "F64": 64, "F4": 4][dtype] ?? 16
        return shape.reduce(1, *) * bits / 8
    }
}

func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }

func jsonString(_ s: String) -> String {
    "\"" + s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
}

/// The JSON header for `tensors` laid out back to back from offset 0.
func headerJSON(_ tensors: [T], metadata: [String: String]? = nil) -> String {
    var parts: [String] = []
    if let metadata {
        let entries = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
        parts.append("\"__metadata__\":{" + entries.joined(separator: ",") + "}")
    }
    var offset: UInt64 = 0
    for t in tensors {
        let shape = t.shape.map(String.init).joined(separator: ",")
        parts.append("\(jsonString(t.name)):{\"dtype\":\"\(t.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.byteCount)]}")
        offset += t.byteCount
    }
    return "{" + parts.joined(separator: ",") + "}"
}

/// A whole safetensors file: header length, header (space-padded to 8 bytes), zero data.
func safetensorsFile(header: String, dataBytes: UInt64) -> [UInt8] {
    var json = Array(header.utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    return le64(UInt64(json.count)) + json + [UInt8](repeating: 0, count: Int(dataBytes))
}

func safetensors(_ tensors: [T], metadata: [String: String]? = nil) -> [UInt8] {
    safetensorsFile(header: headerJSON(tensors, metadata: metadata),
                    dataBytes: tensors.reduce(0) { $0 + $1.byteCount })
}

/// A small kohya-style WAN LoRA (lora_down / lora_up / alpha) of the given width and rank.
func kohyaLoRA(width: UInt64 = 64, rank: UInt64 = 4) -> [T] {
    let base = "diffusion_model.blocks.0.self_attn.q"
    return [
        T(name: "\(base).lora_down.weight", dtype: "BF16", shape: [rank, width]),
        T(name: "\(base).lora_up.weight", dtype: "BF16", shape: [width, rank]),
        T(name: "\(base).alpha", dtype: "F32", shape: []),
    ]
}

/// A small PEFT-style LoRA (lora_A / lora_B).
func peftLoRA(width: UInt64 = 64, rank: UInt64 = 8) -> [T] {
    let base = "diffusion_model.blocks.0.cross_attn.k"
    return [
        T(name: "\(base).lora_A.weight", dtype: "F32", shape: [rank, width]),
        T(name: "\(base).lora_B.weight", dtype: "F32", shape: [width, rank]),
    ]
}

func parsedHeader(_ bytes: [UInt8]) throws -> SafetensorsHeader {
    guard case .header(let header) = try SafetensorsHeader.parse(prefix: bytes) else {
        throw LoRAValidationError(.invalidFormat, "test: header incomplete")
    }
    return header
}

/// The error thrown by `body`, or nil.
func validationError(_ body: () throws -> Void) -> LoRAValidationError? {
    do { try body(); return nil } catch let error as LoRAValidationError { return error } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

// MARK: pickles

/// Writes raw pickle opcode streams.
struct Pickle {
    var bytes: [UInt8] = []

    static func proto2() -> Pickle { Pickle(bytes: [0x80, 0x02]) }

    @discardableResult mutating func op(_ raw: [UInt8]) -> Self { bytes += raw; return self }
    mutating func global(_ module: String, _ name: String) { bytes += [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8) }
    mutating func inst(_ module: String, _ name: String) { bytes += [UInt8(ascii: "i")] + Array("\(module)\n\(name)\n".utf8) }
    mutating func unicode(_ s: String) { bytes += [UInt8(ascii: "X")] + le32(UInt32(s.utf8.count)) + Array(s.utf8) }
    mutating func int(_ v: Int) {
        if (0..<256).contains(v) { bytes += [UInt8(ascii: "K"), UInt8(v)] }
        else { bytes += [UInt8(ascii: "J")] + le32(UInt32(bitPattern: Int32(v))) }
    }
    mutating func mark() { bytes.append(UInt8(ascii: "(")) }
    mutating func tuple() { bytes.append(UInt8(ascii: "t")) }
    mutating func emptyTuple() { bytes.append(UInt8(ascii: ")")) }
    mutating func emptyDict() { bytes.append(UInt8(ascii: "}")) }
    mutating func reduce() { bytes.append(UInt8(ascii: "R")) }
    mutating func build() { bytes.append(UInt8(ascii: "b")) }
    mutating func setitems() { bytes.append(UInt8(ascii: "u")) }
    mutating func binpersid() { bytes.append(UInt8(ascii: "Q")) }
    mutating func binput(_ i: UInt8) { bytes += [UInt8(ascii: "q"), i] }
    mutating func binget(_ i: UInt8) { bytes += [UInt8(ascii: "h"), i] }
    mutating func newFalse() { bytes.append(0x89) }
    mutating func stop() { bytes.append(UInt8(ascii: ".")) }
}

/// A state dict pickle as torch.save writes it (protocol 2): an OrderedDict of tensors rebuilt
/// by `_rebuild_tensor_v2` from `("storage", torch.<type>, key, "cpu", numel)` persistent ids.
/// `legacy` adds the sixth item (view metadata, None) of the legacy format's persistent ids.
func stateDictPickle(_ names: [String], storage: String = "FloatStorage", numel: Int = 16, legacy: Bool = false) -> [UInt8] {
    var p = Pickle.proto2()
    p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce(); p.binput(0)
    p.mark()
    for (index, name) in names.enumerated() {
        p.unicode(name)
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.mark()
        p.mark(); p.unicode("storage"); p.global("torch", storage); p.unicode("\(index)"); p.unicode("cpu"); p.int(numel)
        if legacy { p.op([UInt8(ascii: "N")]) }
        p.tuple()
        p.binpersid()
        p.int(0)
        p.mark(); p.int(4); p.int(4); p.tuple()
        p.mark(); p.int(4); p.int(1); p.tuple()
        p.newFalse()
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.tuple()
        p.reduce()
    }
    p.setitems()
    p.stop()
    return p.bytes
}

// MARK: zip

func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// A stored (method 0) zip archive with a central directory, optionally with ZIP64 records.
/// `flags` go into both headers; `descriptor` writes sizes in data descriptors (flag 0x8) as
/// torch.save does; names in `hidden` get a local header and data but no central entry.
func zipArchive(_ files: [(name: String, data: [UInt8])], method: UInt16 = 0, zip64: Bool = false,
                flags: UInt16 = 0, descriptor: Bool = false, hidden: Set<String> = [], comment: [UInt8] = []) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    let flags = flags | (descriptor ? 0x8 : 0)
    for (name, data) in files {
        let offset = UInt32(out.count)
        let nameBytes = Array(name.utf8)
        let sizes = le32(crc32(data)) + le32(UInt32(data.count)) + le32(UInt32(data.count))
        out += le32(0x0403_4B50) + le16(20) + le16(flags) + le16(method) + le16(0) + le16(0) + (descriptor ? [UInt8](repeating: 0, count: 12) : sizes)
        out += le16(UInt16(nameBytes.count)) + le16(0) + nameBytes + data
        if descriptor { out += le32(0x0807_4B50) + sizes }
        if hidden.contains(name) { continue }
        central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(flags) + le16(method) + le16(0) + le16(0) + sizes
        central += le16(UInt16(nameBytes.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
    }
    let dirOffset = UInt64(out.count)
    out += central
    if zip64 {
        let recordOffset = UInt64(out.count)
        out += le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
        let count = UInt64(files.count - hidden.count)
    out += le64(count) + le64(count) + le64(UInt64(central.count)) + le64(dirOffset)
        out += le32(0x0706_4B50) + le32(0) + le64(recordOffset) + le32(1)
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
    } else {
        let count = UInt16(files.count - hidden.count)
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(count) + le16(count)
        out += le32(UInt32(central.count)) + le32(UInt32(dirOffset)) + le16(UInt16(comment.count)) + comment
    }
    return out
}

/// A torch-like zip checkpoint: `archive/data.pkl`, one `archive/data/N` per tensor, `version`, `byteorder`.
func torchZip(pickle: [UInt8], storages: Int, zip64: Bool = false, storageBytes: Int = 64,
              extra: [(name: String, data: [UInt8])] = [], descriptor: Bool = false) -> [UInt8] {
    zipArchive(torchFiles(pickle: pickle, storages: storages, storageBytes: storageBytes) + extra, zip64: zip64, descriptor: descriptor)
}

/// The entries of ``torchZip(pickle:storages:zip64:storageBytes:extra:descriptor:)``.
func torchFiles(pickle: [UInt8], storages: Int, storageBytes: Int = 64, folder: String = "archive") -> [(name: String, data: [UInt8])] {
    var files: [(name: String, data: [UInt8])] = [("\(folder)/data.pkl", pickle), ("\(folder)/byteorder", Array("little".utf8))]
    for index in 0..<storages { files.append(("\(folder)/data/\(index)", [UInt8](repeating: 0, count: storageBytes))) }
    files.append(("\(folder)/version", Array("3\n".utf8)))
    return files
}
