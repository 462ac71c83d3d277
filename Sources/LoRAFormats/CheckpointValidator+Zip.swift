/// Zip checkpoints, read as `torch.load` reads them (`torch/serialization.py` and
/// `caffe2/serialize/inline_container.cc`): the records live in the folder of the FIRST
/// central-directory entry, names are matched case-insensitively, `data.pkl` of that folder is
/// the pickle, storages are `data/KEY`, and `constants.pkl` sends the file to `torch.jit.load`.
extension CheckpointValidator {
    /// Records (relative to the folder, lowercased) that make a TorchScript archive: torch.load
    /// dispatches those to `torch.jit.load`, which runs the archive's code.
    static func isTorchScriptMarker(_ record: String) -> Bool {
        ["constants.pkl", "bytecode.pkl", ".data/version"].contains(record) || record.hasPrefix("code/")
    }

    static func validateZip(_ source: some ByteSource) throws(LoRAValidationError) -> CheckpointSummary {
        let zip = try ZipDirectory.read(source)
        guard let first = zip.entries.first else { throw .invalid("zip archive has no entries; not a PyTorch checkpoint") }
        guard let slash = first.name.utf8.firstIndex(of: UInt8(ascii: "/")), slash != first.name.utf8.startIndex else {
            throw .invalid("the first zip entry \"\(first.name)\" is not in a folder; torch.load reads the records of the first entry's folder")
        }
        let prefix = String(first.name[..<slash]) + "/"
        let folder = ZipDirectory.fold(prefix)
        var byName: [String: ZipDirectory.Entry] = [:]
        for e in zip.entries {
            guard e.name.utf8.starts(with: prefix.utf8) else {
                throw .invalid("zip entry \"\(e.name)\" is outside the folder \"\(prefix)\" of the first entry; torch.load reads only that folder")
            }
            if let other = byName[e.folded] {
                throw .invalid("zip entries \"\(other.name)\" and \"\(e.name)\" have the same name up to case; torch.load matches names case-insensitively")
            }
            byName[e.folded] = e
        }
        for e in zip.entries where isTorchScriptMarker(String(decoding: e.folded.utf8.dropFirst(folder.utf8.count), as: UTF8.self)) {
            throw .unsafe("TorchScript archive, not a LoRA: \"\(e.name)\" makes torch.load hand the file to torch.jit.load, which runs its code")
        }
        for e in zip.entries { try ZipDirectory.checkStoredPlainly(e) }
        guard let pkl = byName[folder + "data.pkl"] else {
            throw .invalid("zip archive has no \(prefix)data.pkl, the pickle torch.load reads (in the folder of the first entry); not a PyTorch checkpoint")
        }
        let walk = try walkEntry(pkl, source)
        for e in zip.entries where e.folded.hasSuffix(".pkl") && e.folded != pkl.folded {
            _ = try walkEntry(e, source) // torch.load does not read it, but another loader might
        }
        for storage in walk.storages {
            guard storage.arity == 5 else {
                throw .invalid("data.pkl names storage \"\(storage.key)\" with a \(storage.arity)-item persistent id; torch.load of a zip checkpoint expects 5")
            }
            let name = "\(prefix)data/\(storage.key)"
            guard let entry = byName[ZipDirectory.fold(name)] else {
                throw .invalid("data.pkl refers to storage \"\(storage.key)\" but the archive has no \(name) entry")
            }
            let element = UInt64(PickleAllowList.elementSize(ofStorage: storage.type) ?? 1)
            let bytes = UInt64(storage.numel).multipliedReportingOverflow(by: element)
            guard !bytes.overflow, bytes.partialValue == entry.uncompressedSize else {
                throw .invalid("storage \"\(storage.key)\" declares \(storage.numel) elements of \(element) bytes but \(entry.name) holds \(entry.uncompressedSize) bytes")
            }
        }
        return summary(.zip, walk)
    }

    /// Walks one `.pkl` entry, which must end exactly at its STOP opcode.
    static func walkEntry<S: ByteSource>(_ e: ZipDirectory.Entry, _ source: S) throws(LoRAValidationError) -> PickleWalker<S>.Result {
        let label = e.name.split(separator: "/").last.map(String.init) ?? e.name
        guard e.compressedSize <= maxPickleSize else {
            throw .invalid("\(label) is \(e.compressedSize) bytes, more than the \(maxPickleSize)-byte limit")
        }
        let input = PickleInput(source, from: e.dataOffset, to: e.dataOffset + e.compressedSize)
        let walk = try PickleWalker.walk(input)
        if !input.atEnd {
            throw .invalid("\(label) has \(input.end - input.position) bytes after its STOP opcode")
        }
        return walk
    }
}
