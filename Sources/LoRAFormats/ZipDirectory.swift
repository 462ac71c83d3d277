/// The central directory of a zip archive (as `torch.save` writes since PyTorch 1.6),
/// read through a ``ByteSource``. Supports ZIP64; never decompresses anything.
struct ZipDirectory {
    /// One central-directory entry.
    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let compressedSize: UInt64
        let uncompressedSize: UInt64
        let localHeaderOffset: UInt64
    }

    static let eocdSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64EOCDSignature: UInt32 = 0x0606_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50
    static let maxEntries: UInt64 = 1_000_000
    static let maxDirectorySize: UInt64 = 256 << 20

    let entries: [Entry]

    /// Reads the end-of-central-directory record (and the ZIP64 one when present), then walks
    /// the central directory.
    static func read(_ source: some ByteSource) throws(LoRAValidationError) -> ZipDirectory {
        let size = source.size
        let tailLength = Int(min(size, 22 + 0xFFFF))
        let tail = try source.readExactly(at: size - UInt64(tailLength), count: tailLength, "end of archive")
        var eocd: Int?
        var i = tailLength - 22
        while i >= 0 {
            if tail.le32(i) == eocdSignature, i + 22 + Int(tail.le16(i + 20)) == tailLength { eocd = i; break }
            i -= 1
        }
        guard let e = eocd else {
            throw .invalid("truncated or not a zip archive: end of central directory not found")
        }
        let eocdOffset = size - UInt64(tailLength - e)
        var count = UInt64(tail.le16(e + 10))
        var dirSize = UInt64(tail.le32(e + 12))
        var dirOffset = UInt64(tail.le32(e + 16))
        if tail.le16(e + 4) != 0 || tail.le16(e + 6) != 0 {
            throw .invalid("multi-disk zip archives are not PyTorch checkpoints")
        }
        if count == 0xFFFF || dirSize == 0xFFFF_FFFF || dirOffset == 0xFFFF_FFFF {
            guard eocdOffset >= 20 else { throw .invalid("ZIP64 end of central directory locator is missing") }
            let locator = try source.readExactly(at: eocdOffset - 20, count: 20, "ZIP64 locator")
            guard locator.le32(0) == zip64LocatorSignature else {
                throw .invalid("ZIP64 end of central directory locator is missing")
            }
            let record = try source.readExactly(at: locator.le64(8), count: 56, "ZIP64 end of central directory")
            guard record.le32(0) == zip64EOCDSignature else {
                throw .invalid("ZIP64 end of central directory record has a bad signature")
            }
            count = record.le64(32)
            dirSize = record.le64(40)
            dirOffset = record.le64(48)
        }
        guard count <= maxEntries else { throw .invalid("zip archive claims \(count) entries, more than \(maxEntries)") }
        guard dirSize <= maxDirectorySize, dirOffset <= size, dirSize <= size - dirOffset else {
            throw .invalid("zip central directory (offset \(dirOffset), \(dirSize) bytes) lies outside the \(size)-byte file")
        }
        let directory = try source.readExactly(at: dirOffset, count: Int(dirSize), "zip central directory")
        return ZipDirectory(entries: try parseEntries(directory, count: Int(count)))
    }

    static func parseEntries(_ dir: [UInt8], count: Int) throws(LoRAValidationError) -> [Entry] {
        var entries: [Entry] = []
        var p = 0
        for index in 0..<count {
            guard p + 46 <= dir.count, dir.le32(p) == centralSignature else {
                throw .invalid("zip central directory entry \(index) is damaged")
            }
            let nameLength = Int(dir.le16(p + 28)), extraLength = Int(dir.le16(p + 30))
            let commentLength = Int(dir.le16(p + 32))
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= dir.count else { throw .invalid("zip central directory entry \(index) is damaged") }
            let name = String(decoding: dir[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            var compressed = UInt64(dir.le32(p + 20)), uncompressed = UInt64(dir.le32(p + 24))
            var offset = UInt64(dir.le32(p + 42))
            // ZIP64 extra field (id 1): the 0xFFFFFFFF fields, in this order.
            var x = p + 46 + nameLength
            let extraEnd = x + extraLength
            while x + 4 <= extraEnd {
                let id = dir.le16(x), length = Int(dir.le16(x + 2))
                var f = x + 4
                let fieldEnd = min(f + length, extraEnd)
                if id == 1 {
                    if uncompressed == 0xFFFF_FFFF, f + 8 <= fieldEnd { uncompressed = dir.le64(f); f += 8 }
                    if compressed == 0xFFFF_FFFF, f + 8 <= fieldEnd { compressed = dir.le64(f); f += 8 }
                    if offset == 0xFFFF_FFFF, f + 8 <= fieldEnd { offset = dir.le64(f); f += 8 }
                }
                x += 4 + length
            }
            entries.append(Entry(name: name, method: dir.le16(p + 10), flags: dir.le16(p + 8),
                                 compressedSize: compressed, uncompressedSize: uncompressed,
                                 localHeaderOffset: offset))
            p = next
        }
        return entries
    }

    /// The file offset of an entry's data, after checking its local header.
    static func dataOffset(of entry: Entry, in source: some ByteSource) throws(LoRAValidationError) -> UInt64 {
        let header = try source.readExactly(at: entry.localHeaderOffset, count: 30, "local header of \"\(entry.name)\"")
        guard header.le32(0) == localSignature else {
            throw .invalid("zip entry \"\(entry.name)\" has no local header at offset \(entry.localHeaderOffset)")
        }
        let nameLength = Int(header.le16(26)), extraLength = Int(header.le16(28))
        let name = try source.readExactly(at: entry.localHeaderOffset + 30, count: nameLength, "local name of \"\(entry.name)\"")
        guard String(decoding: name, as: UTF8.self) == entry.name else {
            throw .invalid("zip entry \"\(entry.name)\": local header names a different file")
        }
        let start = entry.localHeaderOffset + 30 + UInt64(nameLength + extraLength)
        guard start <= source.size, entry.compressedSize <= source.size - start else {
            throw .invalid("zip entry \"\(entry.name)\" (\(entry.compressedSize) bytes at offset \(start)) runs past the end of the \(source.size)-byte file (truncated copy?)")
        }
        return start
    }
}
