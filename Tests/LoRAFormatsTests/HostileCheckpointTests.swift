import LoRAFormats
import Testing

/// Archives that torch.load would read differently from a naive scan, each refused with its reason.
@Suite("hostile checkpoints")
struct HostileCheckpointTests {
    static let names = ["blocks.0.self_attn.q.lora_down.weight", "blocks.0.self_attn.q.lora_up.weight"]
    static let good = stateDictPickle(names)

    func refusal(_ file: [UInt8]) -> LoRAValidationError? {
        validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }
    }

    func evil() -> [UInt8] {
        var p = Pickle.proto2()
        p.global("posix", "system"); p.mark(); p.unicode("id"); p.tuple(); p.reduce(); p.stop()
        return p.bytes
    }

    @Test func theRecordsFolderIsTheFirstEntrysFolder() {
        // The folder is whatever the first entry's is, here "evil/" (torch reads evil/data.pkl).
        let files = [("evil/version", Array("3\n".utf8)), ("evil/data.pkl", evil())]
        #expect(refusal(zipArchive(files)) == LoRAValidationError(.unsafePickle, #"pickle imports "posix.system", which is not allowed in a checkpoint"#))
        let outside = torchFiles(pickle: Self.good, storages: 2) + [("other/data.pkl", Self.good)]
        #expect(refusal(zipArchive(outside))?.reason
            == #"zip entry "other/data.pkl" is outside the folder "archive/" of the first entry; torch.load reads only that folder"#)
        #expect(refusal(zipArchive([("data.pkl", Self.good)]))?.reason
            == #"the first zip entry "data.pkl" is not in a folder; torch.load reads the records of the first entry's folder"#)
    }

    @Test func namesAreMatchedCaseInsensitivelyAndMayNotCollide() throws {
        var files = torchFiles(pickle: Self.good, storages: 2)
        files[0].name = "archive/DATA.pkl"
        files[2].name = "archive/Data/0"
        #expect(try CheckpointValidator.validate(InMemoryByteSource(zipArchive(files))).tensorCount == 2)
        let twins = torchFiles(pickle: Self.good, storages: 2) + [("archive/Data.PKL", evil())]
        #expect(refusal(zipArchive(twins)) == LoRAValidationError(.invalidFormat,
            #"zip entries "archive/data.pkl" and "archive/Data.PKL" have the same name up to case; torch.load matches names case-insensitively"#))
    }

    @Test func everyPickleInTheArchiveIsWalked() {
        let file = torchZip(pickle: Self.good, storages: 2, extra: [("archive/extra.pkl", evil())])
        #expect(refusal(file) == LoRAValidationError(.unsafePickle, #"pickle imports "posix.system", which is not allowed in a checkpoint"#))
    }

    @Test(arguments: ["archive/constants.pkl", "archive/code/__torch__/m.py", "archive/.data/version", "archive/Constants.PKL"])
    func torchScriptArchivesAreRefusedAsUnsafe(marker: String) {
        let error = refusal(torchZip(pickle: Self.good, storages: 2, extra: [(marker, [0x80, 0x02, 0x29, 0x2E])]))
        #expect(error == LoRAValidationError(.unsafePickle,
            "TorchScript archive, not a LoRA: \"\(marker)\" makes torch.load hand the file to torch.jit.load, which runs its code"))
    }

    @Test func dataDescriptorsAsTorchWritesThemAreAccepted() throws {
        #expect(try CheckpointValidator.validate(InMemoryByteSource(torchZip(pickle: Self.good, storages: 2, descriptor: true))).tensorCount == 2)
    }

    @Test func oddFlagBitsAreRefused() {
        let files = torchFiles(pickle: Self.good, storages: 2)
        #expect(refusal(zipArchive(files, flags: 0x1))?.reason == #"zip entry "archive/data.pkl" is encrypted; torch.save never encrypts"#)
        #expect(refusal(zipArchive(files, flags: 0x2000))?.reason
            == #"zip entry "archive/data.pkl" has flag bits 0x2000, which torch.save never writes (only 0x808)"#)
    }

    @Test func aMissingOrWrongDataDescriptorIsRefused() {
        var file = zipArchive(torchFiles(pickle: Self.good, storages: 2), descriptor: true)
        let at = 30 + "archive/data.pkl".utf8.count + Self.good.count + 4 // the descriptor's CRC
        file[at] ^= 0xFF
        #expect(refusal(file)?.reason == #"zip entry "archive/data.pkl": its data descriptor is missing or differs from the central directory"#)
    }

    @Test func localHeadersMustAgreeWithTheCentralDirectory() {
        var renamed = torchZip(pickle: Self.good, storages: 2)
        renamed[30] = UInt8(ascii: "A") // local name "Archive/data.pkl"
        #expect(refusal(renamed)?.reason == #"zip entry "archive/data.pkl": local header names a different file"#)
        var resized = torchZip(pickle: Self.good, storages: 2)
        resized[22] &+= 1 // local uncompressed size
        #expect(refusal(resized)?.reason == #"zip entry "archive/data.pkl": local header CRC or sizes differ from the central directory"#)
        var method = torchZip(pickle: Self.good, storages: 2)
        method[8] = 8
        #expect(refusal(method)?.reason == #"zip entry "archive/data.pkl": local header flags or method differ from the central directory"#)
    }

    @Test func bytesInNoEntryAreRefused() {
        let files = torchFiles(pickle: Self.good, storages: 2) + [("archive/hidden.pkl", evil())]
        let error = refusal(zipArchive(files, hidden: ["archive/hidden.pkl"]))
        #expect(error?.reason.hasSuffix("that belong to no entry") == true)
        #expect(refusal(zipArchive(torchFiles(pickle: Self.good, storages: 2), comment: Array("hi".utf8)))?.reason
            == "zip archive has a 2-byte comment after its end of central directory; torch.save writes none")
    }

    @Test func aStorageOfTheWrongSizeIsRefused() {
        #expect(refusal(torchZip(pickle: Self.good, storages: 2, storageBytes: 60))?.reason
            == "storage \"0\" declares 16 elements of 4 bytes but archive/data/0 holds 60 bytes")
    }

    @Test func aLegacyPersistentIdInAZipIsRefused() {
        #expect(refusal(torchZip(pickle: stateDictPickle(Self.names, legacy: true), storages: 2))?.reason
            == "data.pkl names storage \"0\" with a 6-item persistent id; torch.load of a zip checkpoint expects 5")
    }
}

/// Legacy files that torch's loader reads past, or as a tar archive.
@Suite("hostile legacy checkpoints")
struct HostileLegacyTests {
    func refusal(_ file: [UInt8]) -> LoRAValidationError? {
        validationError { _ = try CheckpointValidator.validate(InMemoryByteSource(file)) }
    }

    var legacy: [UInt8] { legacyCheckpoint(HostileCheckpointTests.names) }

    @Test func trailingBytesAfterTheStoragesAreRefused() {
        #expect(refusal(legacy + evilTail)?.reason.hasPrefix("legacy checkpoint: \(evilTail.count) trailing bytes after the last pickle") == true)
    }

    var evilTail: [UInt8] { [0x80, 0x02, UInt8(ascii: "N"), 0x2E] }

    @Test func aUstarMagicIsRefused() {
        var file = legacy + [UInt8](repeating: 0, count: 600)
        file.replaceSubrange(257..<262, with: Array("ustar".utf8))
        #expect(refusal(file)?.reason.hasPrefix("legacy tar checkpoint: the file is a tar archive (ustar magic at offset 257)") == true)
    }

    @Test func aValidTarChecksumIsRefused() {
        var file = legacy + [UInt8](repeating: 0, count: 600)
        let sum = 256 + file[0..<512].enumerated().filter { !(148..<156).contains($0.offset) }.reduce(0) { $0 + Int($1.element) }
        var field = Array(String(sum, radix: 8).utf8)
        while field.count < 6 { field.insert(UInt8(ascii: "0"), at: 0) }
        file.replaceSubrange(148..<156, with: field + [0, 0x20])
        #expect(refusal(file)?.reason.hasPrefix("legacy tar checkpoint: the first 512 bytes are a valid tar header") == true)
    }

    @Test func storageKeysMustMatchTheMainPickle() {
        var file = CheckpointValidator.legacyMagicPickle + [0x80, 0x02, UInt8(ascii: "M"), 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E]
        file += stateDictPickle(["a"], storage: "HalfStorage", numel: 16, legacy: true)
        var keys = Pickle.proto2()
        keys.op([UInt8(ascii: "]")]); keys.mark(); keys.unicode("7"); keys.op([UInt8(ascii: "e")]); keys.stop()
        #expect(refusal(file + keys.bytes)?.reason == "legacy checkpoint: the storage-keys pickle lists \"7\", which the main pickle never uses")
    }

    @Test func aStorageCountOtherThanDeclaredIsRefused() {
        var file = legacy
        let first = file.count - 2 * 40 // the first storage's 8-byte count
        file[first] = 15
        #expect(refusal(file)?.reason == "legacy checkpoint: storage \"0\" holds 15 elements but the main pickle declares 16")
    }

    @Test func aProtocol0PickleWithoutMagicIsWalkedThenRefused() {
        let payload = Array("cposix\nsystem\n(S'id'\ntR.".utf8)
        #expect(validationError { try CheckpointValidator.checkPrefix(payload) }?.kind == .invalidFormat)
        #expect(refusal(payload) == LoRAValidationError(.unsafePickle, #"pickle imports "posix.system", which is not allowed in a checkpoint"#))
        #expect(refusal(Array("(dp0\n.".utf8))?.reason == "not a PyTorch checkpoint: a pickle without the torch.save magic number")
        #expect(refusal(Array("hello world, no pickle".utf8))?.reason == "not a PyTorch checkpoint: starts with bytes 68 65 6c 6c")
    }
}
