import Catalog
import Foundation
import Testing
@testable import LoRAFSCore

/// Several mounts of one workspace over one bucket (one in-memory store), each with
/// its own state directory and catalog, kept in step by the bucket's change log.
@Suite struct WorkspaceSyncTests {
    private func publish(_ fixtures: Fixture...) {
        for fixture in fixtures { #expect(fixture.fs.services.sync.publish()) }
    }

    /// Both publish, then both refresh: each has seen the other's changes.
    private func exchange(_ a: Fixture, _ b: Fixture) {
        publish(a, b)
        a.fs.refresh()
        b.fs.refresh()
    }

    /// Two mounts of one workspace that both show `name` (uploaded through the first).
    private func twoMountsSharing(_ name: String, seed: UInt8) throws -> (Fixture, Fixture) {
        let a = try Fixture()
        let b = try Fixture(store: a.store)
        try a.copy(TestLoRA.safetensors(seed: seed), to: name)
        publish(a)
        b.fs.refresh()
        return (a, b)
    }

    private func listing(_ fixture: Fixture) throws -> [String] {
        try fixture.fs.list(path: "/").map(\.name).filter { $0.hasSuffix(".safetensors") }.sorted()
    }

    @Test func everyKindOfChangeReachesAnotherMountAtItsNextRefresh() throws {
        let a = try Fixture()
        let b = try Fixture(store: a.store)
        let bytes = TestLoRA.safetensors(dataBytes: 3000, seed: 3)
        try a.copy(bytes, to: "up.safetensors")
        try a.copy(TestLoRA.safetensors(seed: 4), to: "gone.safetensors")
        publish(a)
        #expect(b.fs.refresh().applied == 2)
        #expect(try listing(b) == ["gone.safetensors", "up.safetensors"])
        #expect(try b.read("up.safetensors") == bytes)

        let newer = TestLoRA.safetensors(dataBytes: 5000, seed: 5)
        try a.copy(newer, to: "up.safetensors")
        try a.fs.rename(from: "/up.safetensors", to: "/moved.safetensors", noReplace: false)
        try a.fs.unlink(path: "/gone.safetensors")
        publish(a)
        b.fs.refresh()
        #expect(try listing(b) == ["moved.safetensors"])
        #expect(try b.read("moved.safetensors") == newer)
        #expect(try b.catalog.allLoRAs() == a.catalog.allLoRAs())
        // Nothing new: nothing applied.
        #expect(b.fs.refresh().applied == 0)
    }

    @Test func aRefreshCostsTheChangesNotTheLoRAs() throws {
        let a = try Fixture()
        for index in 0..<150 { try a.copy(TestLoRA.safetensors(dataBytes: 64, seed: UInt8(index % 200)), to: "l\(index).safetensors") }
        publish(a)
        let b = try Fixture(store: a.store)
        #expect(try listing(b).count == 150)
        for index in 0..<3 { try a.fs.unlink(path: "/l\(index).safetensors") }
        publish(a)
        let (gets, lists) = (a.store.calls(.get), a.store.calls(.list))
        #expect(b.fs.refresh().applied == 3)
        // One listing and one GET per new entry: 3, whatever the 147 others.
        #expect(a.store.calls(.list) - lists == 1)
        #expect(a.store.calls(.get) - gets == 3)
    }

    @Test func twoMountsWritingOneNameAgreeOnTheLastAndTheLoserSaysSo() throws {
        let a = try Fixture()
        let b = try Fixture(store: a.store)
        let first = TestLoRA.safetensors(dataBytes: 3000, seed: 7)
        let second = TestLoRA.safetensors(dataBytes: 4000, seed: 8)
        try a.copy(first, to: "same.safetensors")
        Thread.sleep(forTimeInterval: 0.005)  // b's key is later by its clock
        try b.copy(second, to: "same.safetensors")
        exchange(a, b)
        #expect(try a.read("same.safetensors") == second)
        #expect(try b.read("same.safetensors") == second)
        #expect(try a.catalog.allLoRAs() == b.catalog.allLoRAs())
        // The mount whose copy lost says so; the winner says nothing.
        #expect(a.fs.lastError?.contains("same.safetensors: a later change from mount \(b.fs.services.sync.mountID) replaced the copy stored here") == true)
        #expect(a.fs.lastError?.hasSuffix("(ECANCELED)") == true)
        #expect(b.fs.lastError == nil)
        // The losing object goes (after the delete delay: 0 here); the winner's stays.
        #expect(a.eventually { a.store.loraKeys.count == 1 })
        #expect(a.store.loraKeys == [try #require(try a.catalog.lora(named: "same.safetensors")).objectKey])
    }

    @Test func aRenameHereAndAWriteThereOfOneNameConvergeAfterOneRefresh() throws {
        let (a, b) = try twoMountsSharing("x.safetensors", seed: 1)
        try a.fs.rename(from: "/x.safetensors", to: "y.safetensors", noReplace: false)
        let written = TestLoRA.safetensors(dataBytes: 2000, seed: 2)
        try b.copy(written, to: "y.safetensors")
        exchange(a, b)
        #expect(try a.catalog.allLoRAs() == b.catalog.allLoRAs())
        #expect(try listing(a) == listing(b))
        // b wrote y after a's rename: b's bytes are y everywhere.
        #expect(try a.read("y.safetensors") == written)
    }

    @Test func anEntryThatLandsLateIsAppliedInKeyOrder() throws {
        let (a, b) = try twoMountsSharing("late.safetensors", seed: 1)
        let row = try #require(try a.catalog.lora(named: "late.safetensors"))
        // Another mount removed it with a key from before a's upload, whose PUT landed only now:
        // older than what b shows, so b keeps the LoRA.
        let upload = try #require(a.store.state.withLock { $0.putKeys.first { $0.contains("/log/") } }.flatMap(a.fs.services.layout.logKey))
        let older = LogKey(milliseconds: upload.milliseconds - 1, mount: "0123456789ab", sequence: 1)
        let removal = LogEntry(workspace: "test", mount: older.mount, changes: [.init(name: "late.safetensors", lora: nil)])
        #expect(try a.store.putObjectIfAbsent(key: a.fs.services.layout.logObjectKey(older), body: removal.encoded()))
        b.fs.refresh()
        #expect(try b.catalog.lora(named: "late.safetensors") == row)
        // A later key removes it everywhere.
        let later = LogKey(milliseconds: upload.milliseconds + 1, mount: "0123456789ab", sequence: 2)
        #expect(try a.store.putObjectIfAbsent(key: a.fs.services.layout.logObjectKey(later), body: removal.encoded()))
        a.fs.refresh()
        b.fs.refresh()
        #expect(try a.catalog.allLoRAs().isEmpty && b.catalog.allLoRAs().isEmpty)
    }

    @Test func aMountWithoutItsStateRebuildsItsCatalogFromTheLog() throws {
        let a = try Fixture()
        try a.copy(TestLoRA.safetensors(seed: 1), to: "one.safetensors")
        try a.copy(TestLoRA.safetensors(seed: 2), to: "two.safetensors")
        try a.fs.rename(from: "/two.safetensors", to: "/three.safetensors", noReplace: false)
        publish(a)
        let fresh = try Fixture(store: a.store)  // a new state directory, an empty catalog
        #expect(try fresh.catalog.allLoRAs() == a.catalog.allLoRAs())
        #expect(try listing(fresh) == ["one.safetensors", "three.safetensors"])
    }

    @Test func aChangeMadeWhileS3RefusesIsPublishedOnceItAnswersEvenAfterARestart() throws {
        let (a, b) = try twoMountsSharing("m.safetensors", seed: 1)
        a.store.fail(.put)
        // mv never waits on S3: the rename is done here, its entry waits in the outbox.
        try a.fs.rename(from: "/m.safetensors", to: "/n.safetensors", noReplace: false)
        #expect(a.fs.services.sync.publish() == false)
        #expect(a.fs.services.sync.outboxCount == 1)
        a.fs.shutdown()
        // The next run of the same state directory publishes it.
        a.store.fail(.put, false)
        let again = try Fixture(store: a.store, stateDirectory: a.stateDirectory, catalog: a.catalog)
        publish(again)
        #expect(again.fs.services.sync.outboxCount == 0)
        b.fs.refresh()
        #expect(try listing(b) == ["n.safetensors"])
    }

    /// With a snapshot, the next mount starts from it: what it and the entries after
    /// never name is what only the manifests know.
    @Test(arguments: [false, true])
    func afterFsckRebuildTheNextMountLetsTheLogWinAndPublishesWhatOnlyTheManifestsKnow(snapshot: Bool) throws {
        let options: (inout WorkspaceOptions) -> Void = { if snapshot { $0.logSnapshotEvery = 1 } }
        let a = try Fixture(deleteDelay: 3600, configure: options)
        try a.copy(TestLoRA.safetensors(seed: 1), to: "kept.safetensors")
        try a.copy(TestLoRA.safetensors(seed: 2), to: "removed.safetensors")
        try a.fs.unlink(path: "/removed.safetensors")  // its manifest stays for the delete delay
        publish(a)
        a.fs.refresh()
        #expect(try a.store.listObjects(prefix: "workspaces/test/snapshots/").isEmpty == !snapshot)
        // A LoRA of another mount whose log entry is gone: only its manifest tells of it.
        let b = try Fixture(store: a.store)
        try b.copy(TestLoRA.safetensors(seed: 3), to: "old.safetensors")
        publish(b)
        for key in try a.store.listObjects(prefix: "workspaces/test/log/").map(\.key) where key.contains(b.fs.services.sync.mountID) {
            try a.store.deleteObject(key: key)
        }
        a.fs.shutdown()
        let report = try CatalogCheck(store: a.store, workspace: "test").run(catalog: a.catalog, rebuild: true)
        #expect(report.expected.map(\.name) == ["kept.safetensors", "old.safetensors", "removed.safetensors"])
        try CatalogCheck.markRebuilt(stateDirectory: a.stateDirectory)

        let again = try Fixture(store: a.store, stateDirectory: a.stateDirectory, catalog: a.catalog, deleteDelay: 3600, configure: options)
        #expect(try listing(again) == ["kept.safetensors", "old.safetensors"])
        #expect(try again.read("old.safetensors") == TestLoRA.safetensors(seed: 3))
        // Done once: the mount after refreshes as usual, and a new mount learns of old.safetensors from the log.
        publish(again)
        again.fs.shutdown()
        let third = try Fixture(store: a.store, stateDirectory: a.stateDirectory, catalog: a.catalog, deleteDelay: 3600)
        #expect(try listing(third) == ["kept.safetensors", "old.safetensors"])
        #expect(try listing(try Fixture(store: a.store)) == ["kept.safetensors", "old.safetensors"])
    }

    @Test func snapshotsKeepTheLogShortAndABootstrapCheap() throws {
        let compacting: (inout WorkspaceOptions) -> Void = { options in
            options.logSnapshotEvery = 10
            options.logRetention = 0
            options.logWindow = 0.05
        }
        let a = try Fixture(configure: compacting)
        for index in 0..<25 { try a.copy(TestLoRA.safetensors(dataBytes: 64, seed: UInt8(index)), to: "s\(index).safetensors") }
        for index in 0..<5 { try a.fs.unlink(path: "/s\(index).safetensors") }
        publish(a)
        Thread.sleep(forTimeInterval: 0.1)  // past the window
        a.fs.refresh()
        let layout = a.fs.services.layout
        let snapshots = a.store.state.withLock { $0.objects.keys.filter { $0.hasPrefix(layout.snapshotsPrefix) } }
        #expect(snapshots.count == 1)
        // The 30 entries before the snapshot are gone from the log.
        let entries = a.store.state.withLock { $0.objects.keys.filter { $0.hasPrefix(layout.logPrefix) } }
        #expect(entries.count < 30, "\(entries.count) log entries left")
        // Two more changes, then a mount without state: the snapshot and the entries after it.
        try a.copy(TestLoRA.safetensors(dataBytes: 64, seed: 99), to: "after.safetensors")
        try a.fs.rename(from: "/s7.safetensors", to: "/seven.safetensors", noReplace: false)
        publish(a)
        let gets = a.store.calls(.get)
        let fresh = try Fixture(store: a.store, configure: compacting)
        #expect(try fresh.catalog.allLoRAs() == a.catalog.allLoRAs())
        #expect(try fresh.catalog.allLoRAs().count == 21)
        #expect(a.store.calls(.get) - gets <= 1 + entries.count + 2, "a bootstrap read \(a.store.calls(.get) - gets) objects")
    }

    @Test func twoMountsRenamingOneLoRAAtOnceAgreeOnTheLaterName() throws {
        let (a, b) = try twoMountsSharing("n.safetensors", seed: 5)
        try a.fs.rename(from: "/n.safetensors", to: "/from-a.safetensors", noReplace: false)
        Thread.sleep(forTimeInterval: 0.005)
        try b.fs.rename(from: "/n.safetensors", to: "/from-b.safetensors", noReplace: false)
        exchange(a, b)
        // One object, one name: the later rename's, on both.
        #expect(try listing(a) == ["from-b.safetensors"])
        #expect(try listing(b) == ["from-b.safetensors"])
        #expect(try a.catalog.allLoRAs() == b.catalog.allLoRAs())
        #expect(a.store.loraKeys.count == 1)
    }
}
