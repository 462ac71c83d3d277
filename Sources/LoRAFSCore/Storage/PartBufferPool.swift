import Foundation

/// A part's bytes, in memory that is reused from upload to upload.
final class PartBuffer: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    var count = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { storage.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }
}

/// Reuses part buffers: a fresh 8 MiB allocation per part costs 2,048 page
/// faults and as many zeroed pages (a fifth of the daemon's CPU on a 1 GiB copy),
/// and freed buffers kept by malloc made RSS creep from copy to copy.
///
/// It also bounds the daemon's memory: at most `limit` buffers exist at once, for
/// all the files being uploaded together (four parallel copies took 258 MiB when
/// the bound was per file). `take()` waits its turn, first come first served, so
/// every file's upload moves while others share the budget.
final class PartBufferPool: @unchecked Sendable {
    /// The size of each buffer.
    let capacity: Int
    private let limit: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var idle: [PartBuffer] = []
    private var outstanding = 0
    private var nextTicket = 0
    private var serving = 0

    init(capacity: Int, limit: Int) {
        self.capacity = capacity
        self.limit = max(1, limit)
    }

    /// A buffer, once fewer than `limit` are out and the callers before this one were served.
    func take() -> PartBuffer {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket || outstanding >= limit { condition.wait() }
        let reused = handOut()
        condition.broadcast()
        condition.unlock()
        return prepared(reused)
    }

    /// A buffer now if one is free and nobody is waiting for one; nil otherwise (a read-ahead that can
    /// wait for another time).
    func tryTake() -> PartBuffer? {
        condition.lock()
        guard serving == nextTicket, outstanding < limit else {
            condition.unlock()
            return nil
        }
        nextTicket += 1
        let reused = handOut()
        condition.unlock()
        return prepared(reused)
    }

    /// Counts a buffer out to the ticket being served (lock held); an idle one if there is one.
    private func handOut() -> PartBuffer? {
        serving += 1
        outstanding += 1
        return idle.popLast()
    }

    /// The reused buffer emptied, or a new one (outside the lock: allocating 8 MiB takes a while).
    private func prepared(_ reused: PartBuffer?) -> PartBuffer {
        guard let reused else { return PartBuffer(capacity: capacity) }
        reused.count = 0
        return reused
    }

    func give(_ buffer: PartBuffer) {
        condition.lock()
        outstanding -= 1
        if buffer.storage.count == capacity { idle.append(buffer) }
        condition.broadcast()
        condition.unlock()
    }

    /// Buffers handed out and not yet given back.
    var inUse: Int {
        condition.lock()
        defer { condition.unlock() }
        return outstanding
    }
}

/// A buffer that goes back to its pool when the last reference to it goes: a
/// cached chunk evicted while another thread still copies out of it is returned
/// only once that copy is done. Without a pool it is plain memory, freed then.
final class LeasedBuffer: @unchecked Sendable {
    let buffer: PartBuffer
    private let pool: PartBufferPool?

    init(_ buffer: PartBuffer, from pool: PartBufferPool?) {
        self.buffer = buffer
        self.pool = pool
    }

    deinit { pool?.give(buffer) }
}
