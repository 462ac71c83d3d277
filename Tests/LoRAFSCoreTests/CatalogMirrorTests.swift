import Catalog
import Foundation
import Glibc
import Testing
@testable import LoRAFSCore

/// The mount's in-memory rows follow the catalog by its change feed, and
/// conditional updates refuse to act on a row someone else changed.
@Suite("catalog mirror")
struct CatalogMirrorTests {
    @Test func aRefreshAppliesWhatAnotherWriterChangedInTheCatalog() throws {
        let fixture = try Fixture()
        try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
        try fixture.copy(TestLoRA.safetensors(seed: 3), to: "b.safetensors")
        // Another mount of a shared catalog: a new LoRA, and a deletion.
        try fixture.catalog.upsert(LoRARecord(name: "z.safetensors", objectKey: "workspaces/test/loras/z.safetensors",
                                              size: 7, sha256: String(repeating: "0", count: 64), uploadedAt: 1, kind: "safetensors"))
        try fixture.catalog.delete(named: "b.safetensors")
        #expect(try fixture.fs.list(path: "/").map(\.name).contains("b.safetensors"))
        #expect(try fixture.fs.services.mirror.refresh() == 2)
        let names = try fixture.fs.list(path: "/").map(\.name)
        // The folders first; the LoRAs in no particular order (ls sorts).
        #expect(names.prefix(3) == [".lorafs", "generate", "jobs"] && names.dropFirst(3).sorted() == ["a.safetensors", "z.safetensors"])
        #expect(try fixture.fs.attributes(path: "/z.safetensors").size == 7)
        #expect(try fixture.fs.services.mirror.refresh() == 0)
    }

    @Test func aRenameOfARowAnotherWriterReplacedFailsWithEBUSYAndShowsTheirs() throws {
        let fixture = try Fixture()
        try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
        var theirs = try #require(try fixture.catalog.lora(named: "a.safetensors"))
        theirs.objectKey = "workspaces/test/loras/theirs.safetensors"
        theirs.size = 42
        try fixture.catalog.upsert(theirs)
        var code: Int32?
        do { try fixture.fs.rename(from: "/a.safetensors", to: "/c.safetensors", noReplace: false) } catch {
            code = error.errno
        }
        #expect(code == EBUSY)
        #expect(try fixture.catalog.lora(named: "a.safetensors")?.objectKey == theirs.objectKey)
        #expect(try fixture.catalog.lora(named: "c.safetensors") == nil)
        #expect(try fixture.fs.attributes(path: "/a.safetensors").size == 42)
        #expect(fixture.fs.lastError?.contains("changed in the catalog meanwhile") == true)
    }

    @Test func anRmOfALoRAAnotherWriterRenamedKeepsItsBytes() throws {
        let fixture = try Fixture()
        try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
        let key = try #require(try fixture.catalog.lora(named: "a.safetensors")).objectKey
        try fixture.catalog.rename(from: "a.safetensors", to: "b.safetensors")  // another mount's mv
        var code: Int32?
        do { try fixture.fs.unlink(path: "/a.safetensors") } catch { code = error.errno }
        #expect(code == EBUSY)
        #expect(fixture.store.object(key) != nil, "the renamed LoRA's object must survive")
        #expect(try fixture.catalog.lora(named: "b.safetensors")?.objectKey == key)
        #expect(try fixture.fs.list(path: "/").map(\.name).filter { $0.hasSuffix(".safetensors") } == ["b.safetensors"])
    }
}
