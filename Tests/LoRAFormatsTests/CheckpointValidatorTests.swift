import LoRAFormats
import Testing

@Suite("checkpoint containers")
struct CheckpointValidatorTests {
    static let names = ["blocks.0.self_attn.q.lora_down.weight", "blocks.0.self_attn.q.lora_up.weight"]

    @Test func aTorchZipCheckpointIsAccepted() throws {
        let file = torchZip(pickle: stateDictPickle(Self.names), storages: 2)
        try CheckpointValidator.checkPrefix(file)
        let summary = try CheckpointValidator.validate(InMemoryByteSource(file))
        #expect(summary.format == .zip)
        #expect(summary.tensorCount == 2)
        #expect(summary.storageCount == 2)
        #expect(summary.globals == ["collections.OrderedDict", "torch.FloatStorage", "torch._utils._rebuild_tensor_v2"])
    }

    @Test func aZip64CheckpointIsAccepted() throws {
        let file = torchZip(pickle: stateDictPickle(Self.names, storage: "HalfStorage"), storages: 2, zip64: true, storageBytes: 32)
        #expect(try CheckpointValidator.validate(InMemoryByteSource(file)).tensorCount == 2)
    }

    @Test func aLegacyCheckpointIsAccepted() throws {
        let file = legacyCheckpoint(Self.names)
        let summary = try CheckpointValidator.validate(InMemoryByteSource(file))
        #expect(summary.format == .legacy)
        #expect(summary.tensorCount == 2)
    }

    @Test func aTruncatedLegacyCheckpointIsRefused() {
        let file = legacyCheckpoint(Self.names)
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(Array(file.dropLast(10)))) }
        #expect(error?.kind == .invalidFormat)
        #expect(error?.reason.contains("truncated copy?") == true)
    }

    @Test func aTruncatedZipIsRefused() {
        let file = torchZip(pickle: stateDictPickle(Self.names), storages: 2)
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(Array(file.prefix(file.count - 30)))) }
        #expect(error == LoRAValidationError(.invalidFormat, "truncated or not a zip archive: end of central directory not found"))
    }

    @Test func aCompressedDataPklIsRefused() {
        let file = zipArchive([("archive/data.pkl", stateDictPickle(Self.names))], method: 8)
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }
        #expect(error?.reason == "zip entry \"archive/data.pkl\" is compressed (method 8); torch.save stores every entry uncompressed")
    }

    @Test func aZipWithoutDataPklIsRefused() {
        let file = zipArchive([("archive/other.pkl", [0x80, 0x02, 0x4E, 0x2E])])
        #expect(validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }?.reason
            == "zip archive has no archive/data.pkl, the pickle torch.load reads (in the folder of the first entry); not a PyTorch checkpoint")
    }

    @Test func aMissingStorageEntryIsRefused() {
        let file = torchZip(pickle: stateDictPickle(Self.names), storages: 1)
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }
        #expect(error?.reason == "data.pkl refers to storage \"1\" but the archive has no archive/data/1 entry")
    }

    @Test func aTruncatedPickleIsRefused() {
        let pickle = Array(stateDictPickle(Self.names).dropLast())
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(torchZip(pickle: pickle, storages: 2))) }
        #expect(error?.kind == .invalidFormat)
        #expect(error?.reason.hasPrefix("truncated pickle") == true)
    }

    @Test func anOpcodeArgumentPastTheEndIsRefused() {
        let pickle: [UInt8] = [0x80, 0x02, UInt8(ascii: "X"), 0xFF, 0xFF, 0x00, 0x00, 0x41, 0x2E]
        let error = validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(torchZip(pickle: pickle, storages: 0))) }
        #expect(error?.kind == .invalidFormat)
        #expect(error?.reason.contains("runs past the end") == true)
    }

    @Test(arguments: [
        (Array("<!DOCTYPE html>".utf8), "not a PyTorch checkpoint: starts with bytes 3c 21 44 4f (HTML?)"),
        ([0x80, 0x04, 0x95, 0x00], "not a PyTorch checkpoint: pickle protocol 4 (torch.save writes protocol 2)"),
        (Array("{\"a\":1}".utf8), "not a PyTorch checkpoint: starts with bytes 7b 22 61 22 (JSON?)"),
    ])
    func prefixesThatAreNotCheckpointsAreRefusedEarly(bytes: [UInt8], reason: String) {
        #expect(validationError { try CheckpointValidator.checkPrefix(bytes) } == LoRAValidationError(.invalidFormat, reason))
    }

    @Test func checkpointPrefixesAndShortPrefixesPass() throws {
        try CheckpointValidator.checkPrefix([0x50, 0x4B, 0x03, 0x04, 0x14])
        try CheckpointValidator.checkPrefix(CheckpointValidator.legacyMagicPickle)
        try CheckpointValidator.checkPrefix([0x80, 0x02, 0x7D, 0x71])
        try CheckpointValidator.checkPrefix([])
        try CheckpointValidator.checkPrefix(Array("<!D".utf8))
    }

    @Test func aPlainPickleWithoutTheMagicNumberIsRefused() {
        let file: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E]
        #expect(validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }?.reason
            == "not a PyTorch checkpoint: a pickle without the torch.save magic number")
    }
}

/// A legacy (pre-1.6) checkpoint: magic, protocol version, sys_info, state dict, storage keys,
/// then each storage as an 8-byte element count and its bytes.
func legacyCheckpoint(_ names: [String]) -> [UInt8] {
    var out = CheckpointValidator.legacyMagicPickle
    out += [0x80, 0x02, UInt8(ascii: "M"), 0xE9, 0x03, 0x2E] // 1001
    var info = Pickle.proto2()
    info.emptyDict(); info.mark(); info.unicode("little_endian"); info.op([0x88]); info.unicode("protocol_version"); info.int(1001)
    info.setitems(); info.stop()
    out += info.bytes
    out += stateDictPickle(names, storage: "HalfStorage", numel: 16, legacy: true)
    var keys = Pickle.proto2()
    keys.op([UInt8(ascii: "]")]); keys.mark()
    for index in names.indices { keys.unicode("\(index)") }
    keys.op([UInt8(ascii: "e")]); keys.stop()
    out += keys.bytes
    for _ in names { out += le64(16) + [UInt8](repeating: 0, count: 32) }
    return out
}
