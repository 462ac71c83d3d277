import Catalog
import Dispatch
import Foundation
import PostgreSQLCatalog
import Synchronization
import Testing

/// Counts the calls of `onChange`, keeps what they said, and lets a test wait for the next one.
final class ChangeEvents: Sendable {
    private let signals = DispatchSemaphore(value: 0)
    private let count = Atomic<Int>(0)
    private let said = Mutex<[CatalogEvents]>([])

    var onChange: @Sendable (CatalogEvents) -> Void {
        { [self] events in
            said.withLock { $0.append(events) }
            count.add(1, ordering: .relaxed)
            signals.signal()
        }
    }

    /// What each call said, oldest first; forgotten once read.
    func takeEvents() -> [CatalogEvents] { said.withLock { said in defer { said = [] }; return said } }

    var calls: Int { count.load(ordering: .relaxed) }

    /// Whether a call came within `seconds` (each call is waited for once).
    func next(within seconds: Double) -> Bool {
        signals.wait(timeout: .now() + seconds) == .success
    }

    /// Forgets calls not waited for.
    func drain() { while signals.wait(timeout: .now()) == .success {} }
}

@Test func aChangeReachesAnotherMountsListenerWithinASecond() throws {
    let workspace = freshWorkspace()
    let listening = try makePostgreSQLCatalog(workspace: workspace)
    let writing = try makePostgreSQLCatalog(workspace: workspace)
    let events = ChangeEvents()
    let subscription = listening.startListening(onChange: events.onChange)
    defer { subscription.stop() }
    #expect(events.next(within: 5), "the listener tells when it is connected")
    #expect(events.takeEvents() == [.all])

    let start = ContinuousClock.now
    try writing.upsert(record("a.safetensors"))
    #expect(events.next(within: 1))
    #expect(ContinuousClock.now - start < .seconds(1))
    #expect(try listening.changes(since: 0).upserted == [record("a.safetensors")])

    // Each committed change wakes it, saying which rows: LoRAs or jobs. Other workspaces
    // do not, nor do no-ops, nor a lease renewed by the mount that holds it.
    try writing.delete(named: "a.safetensors")
    #expect(events.next(within: 1))
    try writing.insertJob(job("boat"))
    #expect(events.next(within: 1))
    #expect(events.takeEvents() == [.loras, .loras, .jobs])
    #expect(try writing.leaseJob(named: "boat", to: "m1", seconds: 60) != .heldElsewhere(mount: "m1"))
    #expect(try writing.delete(named: "missing.safetensors") == nil)
    try makePostgreSQLCatalog().upsert(record("elsewhere.safetensors"))
    #expect(!events.next(within: 0.5))
    // A released lease is news: another mount may take the job now.
    try writing.releaseJobLeases(heldBy: "m1")
    #expect(events.next(within: 1))
    #expect(events.takeEvents() == [.jobs])
}

@Test func noChangeIsReportedAfterStop() throws {
    let workspace = freshWorkspace()
    let listening = try makePostgreSQLCatalog(workspace: workspace)
    let events = ChangeEvents()
    let subscription = listening.startListening(onChange: events.onChange)
    #expect(events.next(within: 5))
    subscription.stop()
    let calls = events.calls
    try makePostgreSQLCatalog(workspace: workspace).upsert(record("a.safetensors"))
    #expect(!events.next(within: 0.5))
    #expect(events.calls == calls)
    subscription.stop()  // again: nothing more to do
}

@Test func onChangeMayStopItsOwnSubscription() throws {
    let workspace = freshWorkspace()
    let listening = try makePostgreSQLCatalog(workspace: workspace)
    let events = ChangeEvents()
    let subscription = Mutex<ChangeSubscription?>(nil)
    let ready = DispatchSemaphore(value: 0)
    let started = listening.startListening {
        ready.wait()
        subscription.withLock { $0?.stop() }  // from the listener's own thread: must not wait for itself
        events.onChange($0)
    }
    subscription.withLock { $0 = started }
    ready.signal()
    #expect(events.next(within: 5))
    try makePostgreSQLCatalog(workspace: workspace).upsert(record("a.safetensors"))
    #expect(!events.next(within: 0.5))
    started.stop()
}

@Test func theListenerComesBackAfterItsConnectionIsKilled() throws {
    let cluster = try PostgreSQLCluster.shared()
    let database = try cluster.freshDatabase("listen")
    let workspace = freshWorkspace()
    let listening = try makePostgreSQLCatalog(workspace: workspace, database: database)
    let writing = try makePostgreSQLCatalog(workspace: workspace, database: database)
    let events = ChangeEvents()
    let subscription = listening.startListening(onChange: events.onChange)
    defer { subscription.stop() }
    #expect(events.next(within: 5))

    #expect(try cluster.terminateBackends(database: database, applicationName: "lorafs-listen") == 1)
    // Back (a change may have been missed meanwhile: it says so).
    #expect(events.next(within: 5))
    events.drain()
    try writing.upsert(record("a.safetensors"))
    #expect(events.next(within: 1))
    #expect(try cluster.backends(database: database, applicationName: "lorafs-listen").count == 1)
}
