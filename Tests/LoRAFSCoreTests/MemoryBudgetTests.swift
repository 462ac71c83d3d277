import Dispatch
import Foundation
import Synchronization
import Testing
@testable import LoRAFSCore

/// The daemon's upload memory is one budget of part buffers, shared by every file.
@Suite struct MemoryBudgetTests {
    @Test func neverMoreBuffersThanTheLimitWhateverTheTakers() {
        let pool = PartBufferPool(capacity: 4096, limit: 3)
        let peak = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50 {
                let buffer = pool.take()
                let inUse = pool.inUse
                var seen = peak.load(ordering: .relaxed)
                while inUse > seen, !peak.compareExchange(expected: seen, desired: inUse, ordering: .relaxed).exchanged {
                    seen = peak.load(ordering: .relaxed)
                }
                usleep(100)
                pool.give(buffer)
            }
        }
        #expect(peak.load(ordering: .relaxed) <= 3)
        #expect(peak.load(ordering: .relaxed) >= 2)  // they did share it
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
