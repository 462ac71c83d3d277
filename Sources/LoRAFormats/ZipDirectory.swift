/// The central directory of a zip archive (as `torch.save` writes since PyTorch 1.6),
/// read through a ``ByteSource``. Supports ZIP64; never decompresses anything.
///
/// Stricter than a zip reader: no archive comment, nothing between the central directory and
/// its end records but the ZIP64 record and locator, every entry stored and unencrypted, names
/// UTF-8 without control characters, and (`ZipDirectory+Local.swift`) local headers that agree
/// with the central directory and entries that tile the file from offset 0 with no gap.
struct ZipDirectory {
    /// One central-directory entry.
    struct Entry {
        let name: String
        /// The name with ASCII letters lowercased, as torch (miniz) compares names.
        let folded: String
        let method: UInt16
        let flags: UInt16
        let crc: UInt32
        let compressedSize: UInt64
        let uncompressedSize: UInt64
        let localHeaderOffset: UInt64
        /// Where the entry's data begins (set once its local header is checked).
        var dataOffset: UInt64 = 0
    }

    static let eocdSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64EOCDSignature: UInt32 = 0x0606_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50
    static let maxEntries: UInt64 = 1_000_000
    static let maxDirectorySize: UInt64 = 256 << 20
    /// Flag bits torch.save (miniz) writes: 3 (sizes in a data descriptor) and 11 (UTF-8 names).
    static let allowedFlags: UInt16 = 0x0808

    /// The entries in central-directory order (the order torch numbers them in).
    var entries: [Entry]
    /// Where the central directory begins: the entries' data ends there.
    let directoryOffset: UInt64

    /// Reads the end-of-central-directory record (and the ZIP64 one when present), walks
    /// the central directory, then checks every local header and the layout.
    static func read(_ source: some ByteSource) throws(LoRAValidationError) -> ZipDirectory {
        let size = source.size
        guard size >= 22 else { throw .invalid("truncated or not a zip archive: end of central directory not found") }
        let eocdOffset = size - 22
        let eocd = try source.readExactly(at: eocdOffset, count: 22, "end of archive")
        guard eocd.le32(0) == eocdSignature else {
            let tailLength = Int(min(size, 22 + 0xFFFF))
            let tail = try source.readExactly(at: size - UInt64(tailLength), count: tailLength, "end of archive")
            for i in stride(from: tailLength - 22, through: 0, by: -1) where tail.le32(i) == eocdSignature {
                throw .invalid("zip archive has a \(tailLength - i - 22)-byte comment after its end of central directory; torch.save writes none")
            }
            throw .invalid("truncated or not a zip archive: end of central directory not found")
        }
        guard eocd.le16(4) == 0, eocd.le16(6) == 0 else { throw .invalid("multi-disk zip archives are not PyTorch checkpoints") }
        var count = UInt64(eocd.le16(10))
        var dirSize = UInt64(eocd.le32(12))
        var dirOffset = UInt64(eocd.le32(16))
        var dirEnd = eocdOffset // where the central directory must end
        if eocdOffset >= 20, try source.readExactly(at: eocdOffset - 20, count: 4, "ZIP64 locator").le32(0) == zip64LocatorSignature {
            let locator = try source.readExactly(at: eocdOffset - 20, count: 20, "ZIP64 locator")
            let recordOffset = locator.le64(8)
            let record = try source.readExactly(at: recordOffset, count: 56, "ZIP64 end of central directory")
            guard record.le32(0) == zip64EOCDSignature else {
                throw .invalid("ZIP64 end of central directory record has a bad signature")
            }
            guard record.le64(4) == 44, recordOffset + 56 == eocdOffset - 20 else {
                throw .invalid("ZIP64 end of central directory record (offset \(recordOffset)) is not right before its locator")
            }
            let fields = [(count, record.le64(32), 0xFFFF), (dirSize, record.le64(40), 0xFFFF_FFFF), (dirOffset, record.le64(48), 0xFFFF_FFFF)]
            for (short, long, escape) in fields where short != escape && short != long {
                throw .invalid("zip end of central directory and its ZIP64 record disagree (\(short) vs \(long))")
            }
            count = record.le64(32)
            dirSize = record.le64(40)
            dirOffset = record.le64(48)
            dirEnd = recordOffset
        } else if count == 0xFFFF || dirSize == 0xFFFF_FFFF || dirOffset == 0xFFFF_FFFF {
            throw .invalid("ZIP64 end of central directory locator is missing")
        }
        guard count <= maxEntries else { throw .invalid("zip archive claims \(count) entries, more than \(maxEntries)") }
        guard dirSize <= maxDirectorySize, dirOffset <= dirEnd, dirSize <= dirEnd - dirOffset else {
            throw .invalid("zip central directory (offset \(dirOffset), \(dirSize) bytes) lies outside the \(size)-byte file")
        }
        guard dirOffset + dirSize == dirEnd else {
            throw .invalid("zip archive has \(dirEnd - dirOffset - dirSize) bytes between its central directory and its end record")
        }
        let directory = try source.readExactly(at: dirOffset, count: Int(dirSize), "zip central directory")
        var zip = ZipDirectory(entries: try parseEntries(directory, count: Int(count)), directoryOffset: dirOffset)
        try zip.checkLocalHeaders(source)
        return zip
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
            let name = try entryName(Array(dir[(p + 46)..<(p + 46 + nameLength)]), index: index)
            var compressed = UInt64(dir.le32(p + 20)), uncompressed = UInt64(dir.le32(p + 24))
            var offset = UInt64(dir.le32(p + 42))
            var x = p + 46 + nameLength
            let extraEnd = x + extraLength
            while x + 4 <= extraEnd { // ZIP64 extra field (id 1): the 0xFFFFFFFF fields, in this order.
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
            let entry = Entry(name: name, folded: fold(name), method: dir.le16(p + 10), flags: dir.le16(p + 8),
                              crc: dir.le32(p + 16), compressedSize: compressed, uncompressedSize: uncompressed,
                              localHeaderOffset: offset)
            entries.append(entry)
            p = next
        }
        guard p == dir.count else { throw .invalid("zip central directory has \(dir.count - p) bytes after its \(count) entries") }
        return entries
    }

    /// A name as UTF-8 text without control characters (torch reads names as C strings).
    static func entryName(_ bytes: [UInt8], index: Int) throws(LoRAValidationError) -> String {
        guard let name = String(validating: bytes, as: UTF8.self) else {
            throw .invalid("zip entry \(index) has a name that is not UTF-8")
        }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }), !name.isEmpty else {
            throw .invalid("zip entry \(index) has an empty name or one with a control character")
        }
        return name
    }

    /// Refuses what torch.save never writes: compression, encryption and other flag bits.
    static func checkStoredPlainly(_ e: Entry) throws(LoRAValidationError) {
        if e.flags & 0x41 != 0 { throw .invalid("zip entry \"\(e.name)\" is encrypted; torch.save never encrypts") }
        if e.flags & ~allowedFlags != 0 {
            throw .invalid("zip entry \"\(e.name)\" has flag bits 0x\(String(e.flags, radix: 16)), which torch.save never writes (only 0x808)")
        }
        guard e.method == 0 else {
            throw .invalid("zip entry \"\(e.name)\" is compressed (method \(e.method)); torch.save stores every entry uncompressed")
        }
        guard e.compressedSize == e.uncompressedSize else {
            throw .invalid("zip entry \"\(e.name)\" is stored but its sizes differ (\(e.compressedSize) vs \(e.uncompressedSize))")
        }
    }

    /// ASCII lowercasing, as miniz's case-insensitive name comparison does.
    static func fold(_ name: String) -> String {
        String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
