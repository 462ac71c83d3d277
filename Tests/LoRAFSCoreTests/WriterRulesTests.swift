import Catalog
import Foundation
import Glibc
import Testing
@testable import LoRAFSCore

/// One writer per name, no silent success for empty files, one spelling per name.
@Suite("writer rules")
struct WriterRulesTests {
    /// Two processes: thread ids no live thread has, so each is its own thread group.
    let first = ProcessIdentity(threadID: 999_901)
    let second = ProcessIdentity(threadID: 999_902)

    private func errno(_ body: () throws -> Void) -> Int32? {
        do { try body() } catch let error as FSError { return error.errno } catch { return -1 }
        return nil
    }

    @Test func aSecondWriterOfANameBeingWrittenGetsEBUSYAndTheFirstCopyIsStored() throws {
        let fixture = try Fixture()
        let mine = TestLoRA.safetensors(dataBytes: 6000, seed: 1)
        let handle = try fixture.fs.create(path: "/one.safetensors", caller: first)
        try fixture.write(Array(mine.prefix(3000)), handle: handle)
        #expect(errno { _ = try fixture.fs.create(path: "/one.safetensors", caller: second) } == EBUSY)
        #expect(errno { _ = try fixture.fs.open(path: "/one.safetensors", mode: .init(write: true, truncate: true), caller: second) } == EBUSY)
        #expect(fixture.fs.lastError?.contains("another process is writing this name") == true)
        _ = try Array(mine.dropFirst(3000)).withUnsafeBytes { try fixture.fs.write(handle: handle, offset: 3000, bytes: $0) }
        try fixture.fs.flush(handle: handle, caller: first)
        fixture.fs.release(handle: handle)
        let row = try #require(try fixture.catalog.lora(named: "one.safetensors"))
        #expect(row.size == Int64(mine.count))
        #expect(try fixture.read("one.safetensors") == mine)
        // Once the first writer is done, the name is free again.
        try fixture.copy(TestLoRA.safetensors(dataBytes: 6000, seed: 2), to: "one.safetensors")
    }

    @Test func anEmptyLoRAFailsItsCloseAndTheLastCloseJournalsIt() throws {
        let fixture = try Fixture()
        let handle = try fixture.fs.create(path: "/empty.safetensors")
        #expect(errno { try fixture.fs.flush(handle: handle) } == EINVAL)
        #expect(fixture.fs.lastError == nil, "the first close of a shell redirection must not be journaled")
        fixture.fs.release(handle: handle)
        #expect(fixture.fs.lastError?.contains("empty.safetensors: empty file") == true)
        #expect(try fixture.catalog.allLoRAs().isEmpty)
    }

    @Test func anEmptySpecFailsItsClose() throws {
        let fixture = try Fixture()
        let handle = try fixture.fs.create(path: "/generate/blank.json")
        #expect(errno { try fixture.fs.flush(handle: handle) } == EINVAL)
        fixture.fs.release(handle: handle)
        #expect(fixture.fs.lastError?.contains("generate/blank.json: the spec is empty") == true)
    }

    @Test func theNFDSpellingOfANameIsStoredAndFoundAsNFC() throws {
        let fixture = try Fixture()
        let nfd = "cafe\u{0301}.safetensors", nfc = "caf\u{00E9}.safetensors"
        try fixture.copy(TestLoRA.safetensors(), to: nfd)
        try fixture.copy(TestLoRA.safetensors(seed: 5), to: nfc)
        let names = try fixture.catalog.allLoRAs().map(\.name)
        #expect(names.map { Array($0.utf8) } == [Array(nfc.utf8)])
        #expect(try fixture.fs.attributes(path: "/" + nfd).size > 0)
        try fixture.fs.unlink(path: "/" + nfd)
        #expect(try fixture.catalog.allLoRAs().isEmpty)
    }
}
