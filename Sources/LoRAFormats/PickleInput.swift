/// Sequential reading of a byte range of a ``ByteSource`` in cached chunks, for the pickle
/// walker. Reads never go past `end`; running out is reported as a truncated pickle.
final class PickleInput<Source: ByteSource> {
    static var chunkSize: Int { 1 << 20 }
    /// The longest text argument (a line of a protocol-0 opcode) accepted.
    static var maxLineLength: Int { 1 << 16 }

    let source: Source
    /// Where the pickle data begins in the source; offsets in messages are relative to it.
    let start: UInt64
    let end: UInt64
    private(set) var position: UInt64
    private var cache: [UInt8] = []
    private var cacheStart: UInt64 = 0

    init(_ source: Source, from start: UInt64, to end: UInt64) {
        self.source = source
        self.start = start
        self.position = start
        self.end = min(end, source.size)
    }

    var atEnd: Bool { position >= end }

    /// The current position relative to ``start``.
    var offset: UInt64 { position - start }

    private func truncated(_ what: String) -> LoRAValidationError {
        .invalid("truncated pickle: \(what) at offset \(offset) runs past the end of the data")
    }

    /// Makes sure `[position, position + count)` is cached; false when it passes `end`.
    private func fill(_ count: Int) throws(LoRAValidationError) -> Bool {
        guard UInt64(count) <= end - min(position, end) else { return false }
        let cacheEnd = cacheStart + UInt64(cache.count)
        if position >= cacheStart, position + UInt64(count) <= cacheEnd { return true }
        let want = Int(min(UInt64(max(count, Self.chunkSize)), end - position))
        cache = try source.readExactly(at: position, count: want, "pickle data")
        cacheStart = position
        return true
    }

    func byte(_ what: String) throws(LoRAValidationError) -> UInt8 {
        guard try fill(1) else { throw truncated(what) }
        let b = cache[Int(position - cacheStart)]
        position += 1
        return b
    }

    func bytes(_ count: Int, _ what: String) throws(LoRAValidationError) -> [UInt8] {
        guard count >= 0, try fill(count) else { throw truncated(what) }
        let start = Int(position - cacheStart)
        position += UInt64(count)
        return Array(cache[start..<start + count])
    }

    /// Skips `count` bytes without reading them.
    func skip(_ count: UInt64, _ what: String) throws(LoRAValidationError) {
        guard count <= end - min(position, end) else { throw truncated(what) }
        position += count
    }

    func uint(_ width: Int, _ what: String) throws(LoRAValidationError) -> UInt64 {
        let raw = try bytes(width, what)
        var v: UInt64 = 0
        for b in raw.reversed() { v = v << 8 | UInt64(b) }
        return v
    }

    /// A text argument up to (not including) the next newline.
    func line(_ what: String) throws(LoRAValidationError) -> String {
        var out: [UInt8] = []
        while true {
            let b = try byte(what)
            if b == 0x0A { break }
            out.append(b)
            if out.count > Self.maxLineLength {
                throw .invalid("pickle text argument of \(what) is longer than \(Self.maxLineLength) bytes")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
