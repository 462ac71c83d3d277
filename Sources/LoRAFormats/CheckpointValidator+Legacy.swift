/// Legacy (pre-1.6) checkpoints, read as torch's `_legacy_load` reads them: first as a tar
/// archive (refused here), then as the magic-number pickle, the protocol-version pickle, the
/// sys_info pickle, the main pickle, the storage-keys pickle, and each listed storage as an
/// 8-byte element count and its raw bytes, which must end exactly at the end of the file.
extension CheckpointValidator {
    /// Refuses a file that Python's `tarfile` would open: a ustar magic at offset 257, or a
    /// first 512-byte block whose checksum field (offset 148) matches its contents.
    static func refuseTar(_ source: some ByteSource) throws(LoRAValidationError) {
        guard source.size >= 512 else { return }
        let block = try source.readExactly(at: 0, count: 512, "file start")
        if Array(block[257..<262]) == Array("ustar".utf8) {
            throw .invalid("legacy tar checkpoint: the file is a tar archive (ustar magic at offset 257), which torch.load would unpack; not a LoRA torch.save writes today")
        }
        guard let stored = tarChecksumField(Array(block[148..<156])) else { return }
        var unsigned: Int64 = 256, signed: Int64 = 256 // the checksum field counts as 8 spaces
        for (i, b) in block.enumerated() where !(148..<156).contains(i) {
            unsigned += Int64(b)
            signed += Int64(Int8(bitPattern: b))
        }
        if stored == unsigned || stored == signed {
            throw .invalid("legacy tar checkpoint: the first 512 bytes are a valid tar header, which torch.load would unpack; not a LoRA torch.save writes today")
        }
    }

    /// The number in a tar checksum field as Python's `tarfile.nti` reads it, or nil.
    static func tarChecksumField(_ field: [UInt8]) -> Int64? {
        if field[0] == 0o200 || field[0] == 0o377 { // base-256
            var v: Int64 = 0
            for b in field.dropFirst() { v = v << 8 | Int64(b) }
            return field[0] == 0o377 ? v - (1 << 56) : v
        }
        let text = field.prefix { $0 != 0 }
        guard text.allSatisfy({ $0 < 0x80 }) else { return nil }
        let trimmed = String(decoding: text, as: UTF8.self).trimmingWhitespace.replacing("_", with: "")
        if trimmed.isEmpty { return 0 }
        return Int64(trimmed, radix: 8)
    }

    static func validateLegacy(_ source: some ByteSource) throws(LoRAValidationError) -> CheckpointSummary {
        let input = PickleInput(source, from: 0, to: source.size)
        _ = try PickleWalker.walk(input) // magic number (compared byte for byte by the caller)
        let version = try PickleWalker.walk(input)
        guard case .int(1001) = version.value else {
            throw .invalid("legacy checkpoint: the protocol version pickle is not 1001")
        }
        let sysInfo = try PickleWalker.walk(input)
        guard case .dict = sysInfo.value else { throw .invalid("legacy checkpoint: the sys_info pickle is not a dict") }
        let main = try PickleWalker.walk(input)
        let keys = try PickleWalker.walk(input)
        guard keys.globals.isEmpty, sysInfo.globals.isEmpty, version.globals.isEmpty, keys.storages.isEmpty else {
            throw .unsafe("legacy checkpoint: a header pickle imports globals, which torch.save never writes")
        }
        guard case .list(let items, _) = keys.value else { throw .invalid("legacy checkpoint: the storage-keys pickle is not a list") }
        var listed: [String] = []
        var seen: Set<String> = []
        for item in items {
            guard case .string(let key) = item else { throw .invalid("legacy checkpoint: the storage-keys pickle holds something other than strings") }
            guard let index = main.storageIndex[key] else {
                throw .invalid("legacy checkpoint: the storage-keys pickle lists \"\(key)\", which the main pickle never uses")
            }
            guard seen.insert(key).inserted else { throw .invalid("legacy checkpoint: the storage-keys pickle lists \"\(key)\" twice") }
            guard main.storages[index].arity == 6 else {
                throw .invalid("legacy checkpoint: storage \"\(key)\" has a \(main.storages[index].arity)-item persistent id; the legacy format writes 6")
            }
            listed.append(key)
        }
        if let missing = main.storages.first(where: { !seen.contains($0.key) }) {
            throw .invalid("legacy checkpoint: the main pickle uses storage \"\(missing.key)\", which the storage-keys pickle does not list")
        }
        for key in listed { // each storage: an 8-byte element count, then its bytes
            let storage = main.storages[main.storageIndex[key]!]
            let count = try input.uint(8, "storage \(key) size")
            guard count == UInt64(storage.numel) else {
                throw .invalid("legacy checkpoint: storage \"\(key)\" holds \(count) elements but the main pickle declares \(storage.numel)")
            }
            let bytes = count.multipliedReportingOverflow(by: UInt64(PickleAllowList.elementSize(ofStorage: storage.type) ?? 1))
            guard !bytes.overflow else { throw .invalid("legacy checkpoint: storage \"\(key)\" size overflows") }
            do { try input.skip(bytes.partialValue, "storage \(key)") } catch {
                throw .invalid("file is \(source.size) bytes but storage \"\(key)\" needs \(bytes.partialValue) bytes at offset \(input.position) (truncated copy?)")
            }
        }
        guard input.atEnd else {
            throw .invalid("legacy checkpoint: \(input.end - input.position) trailing bytes after the last pickle and the storages it declares (at offset \(input.position))")
        }
        return summary(.legacy, main)
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (as Python's `str.strip()`).
    var trimmingWhitespace: String {
        let ws: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !ws.contains($0) }), let last = bytes.lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
