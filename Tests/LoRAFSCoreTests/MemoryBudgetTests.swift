import Dispatch
import Foundation
import Synchronization
import Testing
@testable import LoRAFSCore

/// The daemon's upload memory is one budget of part buffers, shared by every file; reads have one too.
@Suite struct MemoryBudgetTests {
    @Test func neverMoreBuffersThanTheLimitWhateverTheTakers() {
        let pool = PartBufferPool(capacity: 4096, limit: 3)
        let peak = Atomic<Int>(0)
        let done = DispatchGroup()
        // Plain threads, all started before any takes: concurrentPerform on a busy 2-core
        // machine may run its iterations one after another, and then nothing is shared.
        let start = DispatchSemaphore(value: 0)
        for _ in 0..<8 {
            done.enter()
            Thread.detachNewThread {
                start.wait()
                for _ in 0..<50 {
                    let buffer = pool.take()
                    let inUse = pool.inUse
                    var seen = peak.load(ordering: .relaxed)
                    while inUse > seen, !peak.compareExchange(expected: seen, desired: inUse, ordering: .relaxed).exchanged {
                        seen = peak.load(ordering: .relaxed)
                    }
                    usleep(500)
                    pool.give(buffer)
                }
                done.leave()
            }
        }
        for _ in 0..<8 { start.signal() }
        done.wait()
        #expect(peak.load(ordering: .relaxed) <= 3)
        #expect(peak.load(ordering: .relaxed) >= 2)  // they did share it
        #expect(pool.inUse == 0)
    }

    @Test func tryTakeNeverJumpsTheQueueNorPassesTheLimit() {
        let pool = PartBufferPool(capacity: 4096, limit: 1)
        let first = pool.tryTake()
        #expect(first != nil)
        #expect(pool.tryTake() == nil)  // the limit
        let served = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            pool.give(pool.take())  // waits in the queue
            served.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        pool.give(first!)
        #expect(served.wait(timeout: .now() + 5) == .success)
        #expect(pool.inUse == 0)
    }

    /// Reads through a read budget smaller than the file's chunks in flight: the bytes are
    /// right at every offset, read-ahead never takes more than the budget, and every
    /// buffer comes back once the reader is gone.
    @Test func aReaderStaysInsideTheReadBudgetAndGivesItBack() throws {
        let store = MemoryObjectStore()
        let content = (0..<(40 * 4096 + 123)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        try store.putObject(key: "k", body: content, metadata: [:], contentSHA256: [])
        let pool = PartBufferPool(capacity: 4096, limit: 2)
        let downloads = WorkerPool(name: "test-download", threads: 4)
        defer { downloads.stop() }
        var reader: ObjectReader? = ObjectReader(
            key: "k", size: UInt64(content.count), store: store, pool: downloads, buffers: pool, readAhead: 4)
        var read: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1500)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try reader!.read(at: UInt64(read.count), into: $0) }
            if n == 0 { break }
            #expect(pool.inUse <= 2)
            read += chunk[0..<n]
        }
        #expect(read == content)
        // A random read far back: fetched again, right.
        let n = try chunk.withUnsafeMutableBytes { try reader!.read(at: 5000, into: $0) }
        #expect(n == 1500 && Array(chunk[0..<n]) == Array(content[5000..<6500]))
        reader = nil
        let deadline = Date().addingTimeInterval(5)
        while pool.inUse > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(pool.inUse == 0)
    }

    @Test func aWaitingTakerIsServedWhenABufferComesBack() {
        let pool = PartBufferPool(capacity: 4096, limit: 1)
        let first = pool.take()
        let served = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            pool.give(pool.take())
            served.signal()
        }
        #expect(served.wait(timeout: .now() + 0.2) == .timedOut)
        pool.give(first)
        #expect(served.wait(timeout: .now() + 5) == .success)
    }

    @Test func keysResumePastTheOutboxAndWhatALostSaveMayHaveIssued() {
        var state = SyncState()
        state.clock = 1_000
        state.sequence = 7
        let pending = [LogKey(milliseconds: 5_000, mount: state.mount, sequence: 42),
                       LogKey(milliseconds: 9_999, mount: "0123456789ab", sequence: 900)]  // another mount's: ignored
        state.resumeKeys(after: pending)
        #expect(state.clock == 5_000)
        #expect(state.sequence == 42 + SyncState.sequenceJumpAtLoad)
        // Near the end of eight digits it starts again at 0, a second past the clock.
        state.sequence = 89_999_999
        state.resumeKeys(after: [])
        #expect(state.sequence == 0)
        #expect(state.clock >= Int64(Date().timeIntervalSince1970 * 1000) + 999)
    }

    @Test func aChangeIsOnDiskByUnmountAndItsKeyIsNeverIssuedAgain() throws {
        let a = try Fixture()
        try a.copy(TestLoRA.safetensors(seed: 1), to: "one.safetensors")
        let issued = a.fs.services.sync.state.withLock { $0.sequence }
        a.fs.shutdown()
        let saved = try #require(try SyncState.load(from: a.stateDirectory + "/sync.json"))
        #expect(saved.sequence == issued)
        let again = try Fixture(store: a.store, stateDirectory: a.stateDirectory, catalog: a.catalog)
        #expect(again.fs.services.sync.state.withLock { $0.sequence } > issued + SyncState.sequenceJumpAtLoad - 1)
    }
}
