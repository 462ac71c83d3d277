import Catalog
import Dispatch
import Foundation
import PostgreSQLCatalog
import Synchronization
import Testing

/// What several threads count together.
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func add(_ key: String, _ amount: Int = 1) { counts.withLock { $0[key, default: 0] += amount } }
    subscript(key: String) -> Int { counts.withLock { $0[key, default: 0] } }
    var all: [String: Int] { counts.withLock { $0 } }
}

@Test func twoInstancesSeeEachOthersChanges() throws {
    let workspace = freshWorkspace()
    let first = try makePostgreSQLCatalog(workspace: workspace)
    let second = try makePostgreSQLCatalog(workspace: workspace)
    try first.upsert(record("a.safetensors"))
    #expect(try second.changes(since: 0) == CatalogChanges(version: 1, upserted: [record("a.safetensors")], deleted: []))
    try second.rename(from: "a.safetensors", to: "b.safetensors")
    #expect(try first.changes(since: 1)
        == CatalogChanges(version: 2, upserted: [record("b.safetensors", key: "workspaces/t/loras/a.safetensors")],
                          deleted: ["a.safetensors"]))
    #expect(try first.allLoRAs() == second.allLoRAs())
}

/// Four threads on two instances (two pools) write while a third instance follows with
/// `changes(since:)`: the follower's mirror ends equal to the rows, every version it saw
/// grew, and the final version counts every changing transaction.
@Test func aFollowerMissesNoChangeWhileFourThreadsWrite() throws {
    let workspace = freshWorkspace()
    let writers = [try makePostgreSQLCatalog(workspace: workspace, maximumConnections: 2),
                   try makePostgreSQLCatalog(workspace: workspace, maximumConnections: 2)]
    let follower = try makePostgreSQLCatalog(workspace: workspace)
    let tally = Tally()
    let writing = Atomic<Bool>(true)
    let followed = DispatchSemaphore(value: 0)
    let mirror = Mutex<(version: Int64, rows: [String: LoRARecord], rounds: Int, failures: [String])>((0, [:], 0, []))

    let followerThread = Thread {
        func follow() {
            do {
                let since = mirror.withLock { $0.version }
                let changes = try follower.changes(since: since)
                mirror.withLock { state in
                    if changes.version < since { state.failures.append("version went back: \(since) -> \(changes.version)") }
                    for name in changes.deleted { state.rows[name] = nil }
                    for row in changes.upserted { state.rows[row.name] = row }
                    state.version = changes.version
                    state.rounds += 1
                }
            } catch {
                mirror.withLock { $0.failures.append("\(error)") }
            }
        }
        while writing.load(ordering: .acquiring) { follow() }
        follow()  // after the last commit
        followed.signal()
    }
    followerThread.start()

    let operations = 120
    DispatchQueue.concurrentPerform(iterations: 4) { thread in
        let catalog = writers[thread % 2]
        for step in 0..<operations {
            do {
                switch step % 3 {
                case 0:
                    // A name nobody touches again: a missed change would stay missing.
                    try catalog.upsert(record("t\(thread)-\(step).safetensors"))
                    tally.add("changes")
                case 1:
                    try catalog.upsert(record("shared-\(step % 7).safetensors", key: "k-\(thread)-\(step)"))
                    tally.add("changes")
                default:
                    if step % 2 == 0 {
                        if try catalog.delete(named: "shared-\((step + 3) % 7).safetensors") != nil { tally.add("changes") }
                    } else {
                        try catalog.rename(from: "shared-\((step + 1) % 7).safetensors", to: "shared-\((step + 4) % 7).safetensors")
                        tally.add("changes")
                    }
                }
            } catch CatalogError.notFound {
                tally.add("renames of missing rows")
            } catch {
                tally.add("failure: \(error)")
            }
        }
    }
    writing.store(false, ordering: .releasing)
    followed.wait()

    let failures = tally.all.keys.filter { $0.hasPrefix("failure") } + mirror.withLock { $0.failures }
    #expect(failures.isEmpty)
    let state = mirror.withLock { $0 }
    let rows = try follower.allLoRAs()
    #expect(state.rows.values.sorted { $0.name < $1.name } == rows)
    #expect(state.version == Int64(tally["changes"]))
    #expect(try follower.changeVersion() == state.version)
    #expect(rows.filter { $0.name.hasPrefix("t") }.count == 4 * operations / 3)
    #expect(state.rounds > 2)  // it followed while they wrote, not only at the end
}

@Test func conditionalInsertsRacingFromFourMountsLetExactlyOneWin() throws {
    let workspace = freshWorkspace()
    let mounts = try (0..<4).map { _ in try makePostgreSQLCatalog(workspace: workspace, maximumConnections: 1) }
    let tally = Tally()
    let names = (0..<20).map { "race-\($0).safetensors" }
    DispatchQueue.concurrentPerform(iterations: 4) { mount in
        for name in names {
            do {
                try mounts[mount].upsert(record(name, key: "\(name)-by-\(mount)"), ifCurrentObjectKey: nil)
                tally.add(name)
            } catch CatalogError.conflict(let conflicted, nil, let found?) where conflicted == name && found.hasPrefix(name) {
                tally.add("conflicts")
            } catch {
                tally.add("failure: \(error)")
            }
        }
    }
    for name in names { #expect(tally[name] == 1, "\(name)") }
    #expect(tally["conflicts"] == 3 * names.count)
    #expect(try mounts[0].changeVersion() == Int64(names.count))
    #expect(try mounts[1].allLoRAs().map(\.name) == names.sorted())
}

@Test func fourMountsClaimingOneJobAtOnceLeaveExactlyOnePoller() throws {
    let workspace = freshWorkspace()
    let mounts = try (0..<4).map { _ in try makePostgreSQLCatalog(workspace: workspace, maximumConnections: 1) }
    let jobs = (0..<20).map { "job-\($0)" }
    for name in jobs { try mounts[0].insertJob(job(name)) }
    let tally = Tally()
    DispatchQueue.concurrentPerform(iterations: 4) { mount in
        for name in jobs {
            do {
                switch try mounts[mount].leaseJob(named: name, to: "m\(mount)", seconds: 60) {
                case .held: tally.add(name)
                case .heldElsewhere(let holder) where holder != "m\(mount)": tally.add("elsewhere")
                case .heldElsewhere(let holder): tally.add("failure: held elsewhere by itself, \(holder)")
                }
            } catch {
                tally.add("failure: \(error)")
            }
        }
    }
    for name in jobs { #expect(tally[name] == 1, "\(name)") }
    #expect(tally["elsewhere"] == 3 * jobs.count)
    #expect(tally.all.keys.filter { $0.hasPrefix("failure") }.isEmpty)
}
