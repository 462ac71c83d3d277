import Foundation

/// Reads one stored LoRA from S3 for an open file handle: ranged GETs of
/// `chunkSize` bytes, a small cache of chunks, and read-ahead of the next chunks
/// once the reader goes sequentially (`cat`, `cp` out, `sha256sum`).
///
/// Chunks live in buffers leased from one pool for all readers (the mount's read
/// budget, as the part buffers are its upload budget): a GET writes straight into
/// one, with no allocation, page faults or zeroing per chunk. A read-ahead that
/// finds the pool empty is skipped; a read the application waits for that finds
/// it empty uses memory of its own for that one chunk.
final class ObjectReader: @unchecked Sendable {
    private enum Chunk {
        case loading
        case ready(LeasedBuffer)
        case failed(any Error)
    }

    private let key: String
    private let size: UInt64
    private let store: any ObjectStore
    private let pool: WorkerPool
    private let buffers: PartBufferPool
    private let chunkSize: UInt64
    private let readAhead: Int

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var chunks: [UInt64: Chunk] = [:]
    private var lastEnd: UInt64 = 0

    /// Chunks are the size of the buffers.
    init(key: String, size: UInt64, store: any ObjectStore, pool: WorkerPool, buffers: PartBufferPool,
         readAhead: Int = 4) {
        self.key = key
        self.size = size
        self.store = store
        self.pool = pool
        self.buffers = buffers
        self.chunkSize = UInt64(buffers.capacity)
        self.readAhead = readAhead
    }

    /// Copies up to `buffer.count` bytes at `offset`; returns how many (0 at end of file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < size, buffer.count > 0 else { return 0 }
        let end = min(size, offset + UInt64(buffer.count))
        var position = offset
        condition.lock()
        let sequential = offset == lastEnd || offset == 0
        lastEnd = end
        condition.unlock()
        while position < end {
            let index = position / chunkSize
            let leased = try chunk(index)  // held until copied, even if evicted meanwhile
            let bytes = leased.buffer.bytes
            let chunkStart = index * chunkSize
            let from = Int(position - chunkStart)
            let count = Int(min(end, chunkStart + UInt64(bytes.count)) - position)
            guard count > 0 else { break }
            buffer.baseAddress!.advanced(by: Int(position - offset))
                .copyMemory(from: bytes.baseAddress! + from, byteCount: count)
            position += UInt64(count)
        }
        if sequential {
            let next = (end - 1) / chunkSize + 1
            for ahead in 0..<UInt64(readAhead) { prefetch(next + ahead) }
        }
        evict(keepingAround: offset / chunkSize)
        return Int(end - offset)
    }

    private func range(of index: UInt64) -> Range<UInt64> {
        let start = index * chunkSize
        return start..<min(size, start + chunkSize)
    }

    private func chunk(_ index: UInt64) throws -> LeasedBuffer {
        condition.lock()
        while true {
            switch chunks[index] {
            case .ready(let bytes):
                condition.unlock()
                return bytes
            case .failed(let error):
                chunks[index] = nil
                condition.unlock()
                throw error
            case .loading:
                condition.wait()
            case nil:
                chunks[index] = .loading
                condition.unlock()
                let leased = buffers.tryTake().map { LeasedBuffer($0, from: buffers) }
                    ?? LeasedBuffer(PartBuffer(capacity: Int(chunkSize)), from: nil)
                let result = load(index, into: leased)
                condition.lock()
                chunks[index] = result
                condition.broadcast()
            }
        }
    }

    private func prefetch(_ index: UInt64) {
        guard index * chunkSize < size else { return }
        condition.lock()
        guard chunks[index] == nil else {
            condition.unlock()
            return
        }
        guard let buffer = buffers.tryTake() else {
            condition.unlock()
            return  // the read budget is spent: this chunk is fetched when it is read
        }
        chunks[index] = .loading
        condition.unlock()
        let leased = LeasedBuffer(buffer, from: buffers)
        pool.submit { [self] in
            let result = load(index, into: leased)
            condition.lock()
            chunks[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private func load(_ index: UInt64, into leased: LeasedBuffer) -> Chunk {
        let buffer = leased.buffer
        do {
            buffer.count = try store.getObject(key: key, range: range(of: index), into: buffer.storage)
            return .ready(leased)
        } catch {
            return .failed(error)
        }
    }

    /// Drops cached chunks far behind the read position (bounded memory).
    private func evict(keepingAround current: UInt64) {
        condition.lock()
        // Every time: buffers one reader keeps are buffers another cannot read ahead into.
        for index in chunks.keys where index + 1 < current || index > current + UInt64(readAhead) + 1 {
            if case .loading = chunks[index]! { continue }
            chunks[index] = nil
        }
        condition.unlock()
    }
}
