/// The local headers of a zip archive: each must agree with its central-directory entry, and
/// the entries (header, data, data descriptor) must tile the file from offset 0 up to the
/// central directory, so that no byte of the file belongs to no entry or to two.
extension ZipDirectory {
    static let descriptorSignature: UInt32 = 0x0807_4B50

    /// Checks every local header and sets each entry's ``Entry/dataOffset``.
    mutating func checkLocalHeaders(_ source: some ByteSource) throws(LoRAValidationError) {
        var ends: [(start: UInt64, end: UInt64, name: String)] = []
        for index in entries.indices {
            let (data, end) = try Self.checkLocal(entries[index], source, limit: directoryOffset)
            entries[index].dataOffset = data
            ends.append((entries[index].localHeaderOffset, end, entries[index].name))
        }
        ends.sort { $0.start < $1.start }
        var position: UInt64 = 0
        var previous = "the start of the file"
        for (start, end, name) in ends {
            if start < position { throw .invalid("zip entries \(previous) and \"\(name)\" overlap") }
            if start > position {
                throw .invalid("zip archive has \(start - position) bytes at offset \(position) that belong to no entry")
            }
            position = end
            previous = "\"\(name)\""
        }
        if position != directoryOffset {
            throw .invalid("zip archive has \(directoryOffset - position) bytes at offset \(position) that belong to no entry")
        }
    }

    /// The data offset and end (after any data descriptor) of an entry whose local header
    /// names the same file with the same flags, method, CRC and sizes as the central directory.
    static func checkLocal(_ e: Entry, _ source: some ByteSource, limit: UInt64) throws(LoRAValidationError) -> (UInt64, UInt64) {
        guard e.localHeaderOffset <= limit, limit - e.localHeaderOffset >= 30 else {
            throw .invalid("zip entry \"\(e.name)\" has no local header at offset \(e.localHeaderOffset)")
        }
        let header = try source.readExactly(at: e.localHeaderOffset, count: 30, "local header of \"\(e.name)\"")
        guard header.le32(0) == localSignature else {
            throw .invalid("zip entry \"\(e.name)\" has no local header at offset \(e.localHeaderOffset)")
        }
        let nameLength = Int(header.le16(26)), extraLength = Int(header.le16(28))
        let rest = try source.readExactly(at: e.localHeaderOffset + 30, count: nameLength + extraLength, "local header of \"\(e.name)\"")
        guard String(decoding: rest[0..<nameLength], as: UTF8.self) == e.name, Array(rest[0..<nameLength]) == Array(e.name.utf8) else {
            throw .invalid("zip entry \"\(e.name)\": local header names a different file")
        }
        guard header.le16(6) == e.flags, header.le16(8) == e.method else {
            throw .invalid("zip entry \"\(e.name)\": local header flags or method differ from the central directory")
        }
        var compressed = UInt64(header.le32(18)), uncompressed = UInt64(header.le32(22))
        let extra = Array(rest[nameLength...])
        var x = 0
        while x + 4 <= extra.count { // a local ZIP64 field holds both sizes
            let id = extra.le16(x), length = Int(extra.le16(x + 2))
            if id == 1, length >= 16, x + 20 <= extra.count, uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF {
                uncompressed = extra.le64(x + 4); compressed = extra.le64(x + 12)
            }
            x += 4 + length
        }
        let crc = header.le32(14)
        let descriptor = e.flags & 0x8 != 0
        let agrees = crc == e.crc && compressed == e.compressedSize && uncompressed == e.uncompressedSize
        let deferred = descriptor && crc == 0 && compressed == 0 && uncompressed == 0
        guard agrees || deferred else {
            throw .invalid("zip entry \"\(e.name)\": local header CRC or sizes differ from the central directory")
        }
        let start = e.localHeaderOffset + 30 + UInt64(nameLength + extraLength)
        guard start <= limit, e.compressedSize <= limit - start else {
            throw .invalid("zip entry \"\(e.name)\" (\(e.compressedSize) bytes at offset \(start)) runs past the end of its data (truncated copy?)")
        }
        var end = start + e.compressedSize
        if descriptor { end += try checkDescriptor(e, source, at: end, limit: limit) }
        return (start, end)
    }

    /// The length of the data descriptor after an entry's data; it must repeat the central CRC
    /// and sizes (4- or 8-byte sizes, with or without its signature).
    static func checkDescriptor(_ e: Entry, _ source: some ByteSource, at offset: UInt64, limit: UInt64) throws(LoRAValidationError) -> UInt64 {
        let available = Int(min(24, limit - offset))
        let bytes = try source.readExactly(at: offset, count: available, "data descriptor of \"\(e.name)\"")
        let skip = bytes.count >= 4 && bytes.le32(0) == descriptorSignature ? 4 : 0
        for wide in [false, true] {
            let length = skip + 4 + (wide ? 16 : 8)
            guard length <= bytes.count, bytes.le32(skip) == e.crc else { continue }
            let c = wide ? bytes.le64(skip + 4) : UInt64(bytes.le32(skip + 4))
            let u = wide ? bytes.le64(skip + 12) : UInt64(bytes.le32(skip + 8))
            if c == e.compressedSize, u == e.uncompressedSize { return UInt64(length) }
        }
        throw .invalid("zip entry \"\(e.name)\": its data descriptor is missing or differs from the central directory")
    }
}
