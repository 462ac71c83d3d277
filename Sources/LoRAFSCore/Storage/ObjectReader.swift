import Foundation

/// Reads one stored LoRA from S3 for an open file handle: ranged GETs of
/// `chunkSize` bytes, a small cache of chunks, and read-ahead of the next chunks
/// once the reader goes sequentially (`cat`, `cp` out, `sha256sum`).
final class ObjectReader: @unchecked Sendable {
    private enum Chunk {
        case loading
        case ready([UInt8])
        case failed(any Error)
    }

    private let key: String
    private let size: UInt64
    private let store: any ObjectStore
    private let pool: WorkerPool
    private let chunkSize: UInt64
    private let readAhead: Int
    private let maxChunks: Int

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var chunks: [UInt64: Chunk] = [:]
    private var lastEnd: UInt64 = 0

    init(key: String, size: UInt64, store: any ObjectStore, pool: WorkerPool,
         chunkSize: UInt64 = 8 << 20, readAhead: Int = 2) {
        self.key = key
        self.size = size
        self.store = store
        self.pool = pool
        self.chunkSize = chunkSize
        self.readAhead = readAhead
        self.maxChunks = readAhead + 3
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
            let bytes = try chunk(index)
            let chunkStart = index * chunkSize
            let from = Int(position - chunkStart)
            let count = Int(min(end, chunkStart + UInt64(bytes.count)) - position)
            guard count > 0 else { break }
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.advanced(by: Int(position - offset))
                    .copyMemory(from: source.baseAddress! + from, byteCount: count)
            }
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

    private func chunk(_ index: UInt64) throws -> [UInt8] {
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
                let result: Chunk
                do { result = .ready(try store.getObject(key: key, range: range(of: index))) } catch { result = .failed(error) }
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
        chunks[index] = .loading
        condition.unlock()
        pool.submit { [self] in
            let result: Chunk
            do { result = .ready(try store.getObject(key: key, range: range(of: index))) } catch { result = .failed(error) }
            condition.lock()
            chunks[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Drops cached chunks far behind the read position (bounded memory).
    private func evict(keepingAround current: UInt64) {
        condition.lock()
        if chunks.count > maxChunks {
            for index in chunks.keys where index + 1 < current || index > current + UInt64(readAhead) + 1 {
                if case .loading = chunks[index]! { continue }
                chunks[index] = nil
            }
        }
        condition.unlock()
    }
}
