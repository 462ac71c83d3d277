import Catalog
import SQLiteCatalog
import Foundation
import Glibc
import Logging
import Testing
@testable import LoRAFSCore

private func errno(of body: () throws -> Void) -> Int32? {
    do {
        try body()
        return nil
    } catch {
        return (error as? FSError)?.errno ?? -1
    }
}

@Test func copyingAValidLoRAStoresOneObjectAndOneRow() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 10_000)
    try fixture.copy(bytes, to: "style.safetensors")
    let rows = try fixture.catalog.allLoRAs()
    #expect(rows.map(\.name) == ["style.safetensors"])
    #expect(rows[0].size == Int64(bytes.count))
    #expect(fixture.store.loraKeys == [rows[0].objectKey])
    #expect(fixture.store.object(rows[0].objectKey) == bytes)
    #expect(fixture.store.openUploads == 0)
    #expect(try fixture.read("style.safetensors") == bytes)
    #expect(try fixture.fs.list(path: "/").map(\.name) == [".lorafs", "generate", "jobs", "style.safetensors"])
}

@Test func aSmallLoRAGoesUpInOnePutWithItsSHA256() throws {
    let fixture = try Fixture(partSize: 1 << 20)
    let bytes = TestLoRA.safetensors(dataBytes: 2000)
    try fixture.copy(bytes, to: "small.safetensors")
    let row = try #require(try fixture.catalog.lora(named: "small.safetensors"))
    let metadata = fixture.store.state.withLock { $0.metadata[row.objectKey] }
    #expect(metadata?["lorafs-sha256"] == row.sha256)
    #expect(row.sha256.count == 64)
    // One PUT of the object, no multipart upload at all.
    #expect(fixture.store.state.withLock { $0.putKeys.filter { $0.contains("/loras/") } } == [row.objectKey])
    #expect(fixture.store.calls(.create) == 0 && fixture.store.calls(.part) == 0)
}

@Test func aTruncatedCopyFailsCloseWithEINVALAndLeavesNothing() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 10_000)
    let code = errno { try fixture.copy(Array(bytes.prefix(6000)), to: "cut.safetensors") }
    #expect(code == EINVAL)
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    #expect(fixture.store.loraKeys.isEmpty)
    #expect(fixture.store.openUploads == 0)
    #expect(fixture.fs.lastError?.contains("truncated") == true)
    #expect(throws: FSError.self) { try fixture.fs.attributes(path: "/cut.safetensors") }
}

@Test func aBadHeaderIsRefusedAtWriteOnceTheHeaderHasArrived() throws {
    let fixture = try Fixture()
    var bytes = TestLoRA.safetensors(dataBytes: 10_000)
    bytes[8] = UInt8(ascii: "[")  // the JSON header must be an object
    let headerEnd = 8 + bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
    let chunk = 64  // smaller than the header, so it arrives over several writes
    let handle = try fixture.fs.create(path: "/bad.safetensors")
    defer { fixture.fs.release(handle: handle) }
    // The writes before the header is complete succeed; the one that completes it fails.
    let refused = fixture.firstRefusedWrite(bytes, handle: handle, chunk: chunk)
    #expect(refused?.errno == EINVAL)
    #expect(refused?.offset == (headerEnd - 1) / chunk * chunk, "header ends at \(headerEnd)")
    #expect(errno { try fixture.fs.flush(handle: handle) } == EINVAL)
    #expect(fixture.store.openUploads == 0)
    #expect(fixture.store.calls(.create) == 0 && fixture.store.calls(.put) == 0)
}

@Test func anS3FailureAtCompleteFailsCloseWithEIOAndAbortsTheUpload() throws {
    let fixture = try Fixture()
    fixture.store.fail(.complete)
    let code = errno { try fixture.copy(TestLoRA.safetensors(dataBytes: 10_000), to: "x.safetensors") }
    #expect(code == EIO)
    #expect(fixture.store.injected(.complete) == 1)
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    // After a failure talking to S3 the abort runs in the background (close() does not wait on S3 again).
    #expect(fixture.eventually { fixture.store.openUploads == 0 })
    #expect(fixture.store.calls(.abort) == 1)
    #expect(fixture.store.loraKeys.isEmpty)
}

@Test func aPartS3RefusesFailsCloseWithEIOAndAbortsTheUpload() throws {
    let fixture = try Fixture()
    fixture.store.fail(.part)
    let code = errno { try fixture.copy(TestLoRA.safetensors(dataBytes: 10_000), to: "x.safetensors") }
    #expect(code == EIO)
    #expect(fixture.store.injected(.part) >= 1)
    #expect(fixture.store.calls(.complete) == 0)
    #expect(fixture.eventually { fixture.store.openUploads == 0 })
    #expect(fixture.store.calls(.abort) == 1)
    #expect(fixture.store.loraKeys.isEmpty)
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    #expect(fixture.fs.lastError?.contains("x.safetensors: upload to S3 failed") == true)
}

@Test func aMultipartUploadS3WillNotCreateFailsCloseWithEIOAndSendsNoPart() throws {
    let fixture = try Fixture()
    fixture.store.fail(.create)
    let code = errno { try fixture.copy(TestLoRA.safetensors(dataBytes: 10_000), to: "x.safetensors") }
    #expect(code == EIO)
    #expect(fixture.store.injected(.create) == 1)
    #expect(fixture.store.calls(.part) == 0 && fixture.store.calls(.complete) == 0)
    #expect(fixture.store.openUploads == 0)
    #expect(fixture.store.loraKeys.isEmpty)
    #expect(try fixture.catalog.allLoRAs().isEmpty)
}

@Test func aReadS3FailsIsEIOAndTheNextReadGetsTheRightBytes() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 10_000)
    try fixture.copy(bytes, to: "r.safetensors")
    fixture.store.fail(.get)
    #expect(errno { _ = try fixture.read("r.safetensors") } == EIO)
    #expect(fixture.store.injected(.get) >= 1)
    fixture.store.fail(.get, false)
    #expect(try fixture.read("r.safetensors") == bytes)
}

@Test func aFailedOverwriteLeavesTheOldLoRAUntouched() throws {
    let fixture = try Fixture()
    let old = TestLoRA.safetensors(dataBytes: 10_000, seed: 1)
    try fixture.copy(old, to: "keep.safetensors")
    let before = try #require(try fixture.catalog.lora(named: "keep.safetensors"))
    let code = errno { try fixture.copy(Array(TestLoRA.safetensors(dataBytes: 10_000, seed: 2).prefix(9000)), to: "keep.safetensors") }
    #expect(code == EINVAL)
    #expect(try fixture.catalog.lora(named: "keep.safetensors") == before)
    #expect(try fixture.read("keep.safetensors") == old)
}

@Test func aSuccessfulOverwriteReplacesTheObject() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(dataBytes: 10_000, seed: 1), to: "v.safetensors")
    let newer = TestLoRA.safetensors(dataBytes: 12_000, seed: 2)
    try fixture.copy(newer, to: "v.safetensors")
    #expect(try fixture.read("v.safetensors") == newer)
    fixture.fs.shutdown()  // the replaced object is deleted in the background; unmount waits for it
    #expect(fixture.store.loraKeys.count == 1)
}

@Test func aRenameThatMayNotReplaceNeverReplacesARowThatAppearedSinceItsCheck() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(seed: 1), to: "a.safetensors")
    #expect(errno { try fixture.fs.rename(from: "/a.safetensors", to: "/a.safetensors", noReplace: true) } == EEXIST)
    // b appears in the catalog (another mount of a shared catalog) before this mount's mirror shows it.
    var other = try #require(try fixture.catalog.lora(named: "a.safetensors"))
    other.name = "b.safetensors"
    other.objectKey = "workspaces/test/loras/other.safetensors"
    try fixture.catalog.upsert(other)
    #expect(!fixture.fs.services.mirror.contains("b.safetensors"))
    #expect(errno { try fixture.fs.rename(from: "/a.safetensors", to: "/b.safetensors", noReplace: true) } == EEXIST)
    #expect(try fixture.catalog.lora(named: "b.safetensors") == other)
    #expect(try fixture.catalog.lora(named: "a.safetensors") != nil)
    // The mirror caught up: b is listed, a is still there.
    #expect(try fixture.fs.list(path: "/").map(\.name).filter { $0.hasSuffix(".safetensors") }.sorted() == ["a.safetensors", "b.safetensors"])
    try fixture.fs.rename(from: "/a.safetensors", to: "/c.safetensors", noReplace: true)
    #expect(try fixture.catalog.allLoRAs().map(\.name) == ["b.safetensors", "c.safetensors"])
}

@Test func renameIsACatalogUpdateWithoutCopying() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
    let key = try #require(try fixture.catalog.lora(named: "a.safetensors")).objectKey
    #expect(fixture.fs.services.sync.publish())  // the upload's own log entry, before counting
    let (puts, creates, parts) = fixture.store.state.withLock { ($0.putKeys.count, $0.calls[.create], $0.calls[.part]) }
    try fixture.fs.rename(from: "/a.safetensors", to: "/b.safetensors", noReplace: false)
    #expect(try fixture.catalog.lora(named: "b.safetensors")?.objectKey == key)
    #expect(errno { try fixture.fs.rename(from: "/b.safetensors", to: "/b.txt", noReplace: false) } == EPERM)
    fixture.fs.shutdown()  // the manifest is rewritten in the background; unmount waits for it
    #expect(fixture.store.loraKeys == [key])
    // Not one byte of the LoRA was sent again: the writes are its manifest, now naming b,
    // and one entry of the workspace's change log (a gone, b the same object).
    let all = fixture.store.state.withLock { Array($0.putKeys.dropFirst(puts)) }
    let written = all.filter { !$0.contains("/log/") }
    #expect(written.count == 1 && written.allSatisfy { $0.contains("/manifests/") }, "\(all)")
    let entries = all.filter { $0.contains("/log/") }
    #expect(entries.count == 1, "\(all)")
    let entry = try LogEntry.decode(try #require(entries.first.flatMap { fixture.store.object($0) }))
    #expect(entry.changes.map(\.name) == ["a.safetensors", "b.safetensors"])
    #expect(entry.changes.map(\.lora?.objectKey) == [nil, key])
    #expect(fixture.store.state.withLock { ($0.calls[.create], $0.calls[.part]) } == (creates, parts))
    let manifest = try #require(written.first.flatMap { fixture.store.object($0) })
    #expect(String(decoding: manifest, as: UTF8.self).contains(#""b.safetensors""#))
}

@Test func aStagingFileIsUploadedByItsCloseAndListedOnlyByItsRename() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 5000)
    try fixture.copy(bytes, to: ".style.safetensors.Ab12Cd")
    // The close uploaded it completely; no row, nothing listed, no manifest yet.
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    let key = try #require(fixture.store.loraKeys.first)
    #expect(fixture.store.object(key) == bytes)
    #expect(fixture.store.manifestKeys.isEmpty)
    let before = fixture.store.totalCalls
    try fixture.fs.rename(from: "/.style.safetensors.Ab12Cd", to: "/style.safetensors", noReplace: false)
    #expect(try fixture.catalog.allLoRAs().map(\.name) == ["style.safetensors"])
    #expect(try fixture.catalog.lora(named: "style.safetensors")?.objectKey == key)
    #expect(try fixture.read("style.safetensors") == bytes)
    // The manifest follows in the background with the final name.
    #expect(fixture.eventually { fixture.store.manifestKeys.count == 1 })
    let manifest = String(decoding: fixture.store.object(fixture.store.manifestKeys[0]) ?? [], as: UTF8.self)
    #expect(manifest.contains("\"style.safetensors\""))
    #expect(fixture.store.totalCalls - before <= 3,
            "the rename and read made \(fixture.store.totalCalls - before) S3 calls (a GET to read back, a manifest PUT, a log entry PUT)")
}

@Test func theRenameOfAnUploadedStagingFileMakesNoS3RequestEvenWhenS3Hangs() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 5000)
    try fixture.copy(bytes, to: "style.safetensors.tmp.1700000000.42")
    for operation in MemoryObjectStore.Operation.allCases { fixture.store.hang(operation) }
    let started = Date()
    try fixture.fs.rename(from: "/style.safetensors.tmp.1700000000.42", to: "/style.safetensors", noReplace: false)
    #expect(Date().timeIntervalSince(started) < 1)
    #expect(try fixture.catalog.lora(named: "style.safetensors")?.size == Int64(bytes.count))
    for operation in MemoryObjectStore.Operation.allCases { fixture.store.hang(operation, false) }
}

@Test func aStagingFileWrittenAgainAfterItsCloseIsUploadedAgainAtItsRename() throws {
    let fixture = try Fixture()
    let first = TestLoRA.safetensors(dataBytes: 5000)
    let second = TestLoRA.safetensors(dataBytes: 7000)
    try fixture.copy(first, to: "style.safetensors.part")
    let firstKey = try #require(fixture.store.loraKeys.first)
    let handle = try fixture.fs.open(path: "/style.safetensors.part", mode: OpenMode(write: true, truncate: true))
    try fixture.write(second, handle: handle)
    try fixture.fs.rename(from: "/style.safetensors.part", to: "/style.safetensors", noReplace: false)
    fixture.fs.release(handle: handle)
    #expect(try fixture.read("style.safetensors") == second)
    // The first upload is gone: one object, holding the second file.
    #expect(fixture.eventually { fixture.store.loraKeys.count == 1 && !fixture.store.loraKeys.contains(firstKey) })
}

@Test func aStagingFileOfNoGuessableNameIsKindedByItsBytes() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 5000)
    try fixture.copy(bytes, to: "tmpab12cd34")
    #expect(fixture.store.loraKeys.count == 1)
    try fixture.fs.rename(from: "/tmpab12cd34", to: "/kinded.safetensors", noReplace: false)
    #expect(try fixture.read("kinded.safetensors") == bytes)
    #expect(fixture.store.loraKeys.count == 1)
}

@Test func aStagingFileThatIsNotALoRAFailsItsClose() throws {
    let fixture = try Fixture()
    var bytes = TestLoRA.safetensors(dataBytes: 5000)
    bytes[bytes.count - 1] = 0  // still a header, but the data is cut short below
    bytes.removeLast(100)
    let handle = try fixture.fs.create(path: "/.cut.safetensors.Ab12Cd")
    try fixture.write(bytes, handle: handle)
    #expect(errno { try fixture.fs.flush(handle: handle) } == EINVAL)
    fixture.fs.release(handle: handle)
    // Refused at its close, it is gone with its last descriptor: nothing to rename.
    #expect(errno { try fixture.fs.rename(from: "/.cut.safetensors.Ab12Cd", to: "/cut.safetensors", noReplace: false) } == ENOENT)
    #expect(fixture.store.loraKeys.isEmpty && fixture.store.openUploads == 0)
    #expect(try fixture.catalog.allLoRAs().isEmpty)
}

@Test func aStagingFileNeverRenamedIsDiscarded() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(), to: "x.safetensors.part")
    fixture.fs.sweepStaging(olderThan: 0)
    #expect(throws: FSError.self) { try fixture.fs.attributes(path: "/x.safetensors.part") }
    // Its upload, complete since its close, is deleted with it.
    #expect(fixture.eventually { fixture.store.loraKeys.isEmpty })
    // Not silent: the discarded copy has its line in .lorafs/errors.
    #expect(fixture.fs.lastError?.contains("x.safetensors.part: a temporary file never renamed to a LoRA name") == true)
    #expect(fixture.fs.lastError?.hasSuffix("(ECANCELED)") == true)
}

@Test func removingNeverWaitsOnS3AndTheDeleteIsTriedAgainUntilS3TakesIt() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
    let key = try #require(fixture.store.loraKeys.first)
    fixture.store.fail(.delete)
    try fixture.fs.unlink(path: "/a.safetensors")
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    #expect(throws: FSError.self) { try fixture.fs.attributes(path: "/a.safetensors") }
    // S3 refused the deferred delete: the object waits for the next try, no row points at it.
    #expect(fixture.eventually { fixture.store.injected(.delete) > 0 })
    #expect(fixture.store.loraKeys == [key])
    fixture.store.fail(.delete, false)
    #expect(fixture.eventually(within: 10) { fixture.store.loraKeys.isEmpty })
}

@Test func aReplacedObjectIsDeletedOnlyAfterTheDeleteDelay() throws {
    let fixture = try Fixture(deleteDelay: 1.5)
    try fixture.copy(TestLoRA.safetensors(dataBytes: 100), to: "v.safetensors")
    let old = try #require(fixture.store.loraKeys.first)
    try fixture.copy(TestLoRA.safetensors(dataBytes: 200), to: "v.safetensors")
    // Another mount may still be reading the old object: it stays for the delay.
    #expect(fixture.store.loraKeys.count == 2)
    Thread.sleep(forTimeInterval: 0.5)
    #expect(fixture.store.object(old) != nil)
    #expect(fixture.eventually(within: 5) { fixture.store.object(old) == nil })
    #expect(fixture.store.loraKeys.count == 1)
}

@Test func writingPastTheSizeLimitFailsAtOnceWithEFBIG() throws {
    let fixture = try Fixture(maxFileSize: 5000)
    let handle = try fixture.fs.create(path: "/big.safetensors")
    defer { fixture.fs.release(handle: handle) }
    // The first write that would cross the limit fails (4900 + 700 > 5000), not the close.
    let refused = fixture.firstRefusedWrite(TestLoRA.safetensors(dataBytes: 10_000), handle: handle)
    #expect(refused?.errno == EFBIG)
    #expect(refused?.offset == 4900)
    #expect(errno { try fixture.fs.truncate(path: "/big.safetensors", size: 6000, handle: handle) } == EFBIG)
    #expect(errno { try fixture.fs.flush(handle: handle) } == EFBIG)
    #expect(fixture.store.openUploads == 0)
}

@Test func nonLoRANamesAreRefusedWithEPERM() throws {
    let fixture = try Fixture()
    #expect(errno { _ = try fixture.fs.create(path: "/notes.txt") } == EPERM)
    #expect(fixture.fs.lastError?.contains("notes.txt") == true)
}

@Test func truncateToTheFinalSizeThenSequentialWritesStillStream() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 20_000)
    let handle = try fixture.fs.create(path: "/pre.safetensors")
    defer { fixture.fs.release(handle: handle) }
    try fixture.fs.truncate(path: "/pre.safetensors", size: UInt64(bytes.count), handle: handle)
    try fixture.write(bytes, handle: handle)
    // Streaming: every full part goes up while the file is still open, before any close.
    let full = fixture.parts(of: bytes.count, full: true)
    #expect(fixture.eventually { fixture.store.calls(.part) >= full }, "\(fixture.store.calls(.part)) of \(full) parts sent before close")
    try fixture.fs.flush(handle: handle)
    // The close sent only what was left, in the same upload: nothing restarted from the spool.
    #expect(fixture.store.calls(.create) == 1 && fixture.store.calls(.abort) == 0)
    #expect(fixture.store.calls(.part) == fixture.parts(of: bytes.count))
    #expect(fixture.store.state.withLock { $0.completedUploads.count } == 1)
    #expect(try fixture.read("pre.safetensors") == bytes)
}

@Test func staleMultipartUploadsOfThisWorkspaceAreAbortedAndOthersKept() throws {
    let fixture = try Fixture()
    _ = try fixture.store.createMultipartUpload(key: "workspaces/test/loras/old.safetensors", metadata: [:])
    _ = try fixture.store.createMultipartUpload(key: "workspaces/other/loras/theirs.safetensors", metadata: [:])
    #expect(try fixture.fs.abortStaleUploads() == 1)
    #expect(fixture.store.openUploads == 1)
}

@Test func rsyncsTempFileStreamsWhileWrittenAndItsCloseCompletesThatUpload() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 20_000)
    let handle = try fixture.fs.create(path: "/.style.safetensors.Ab12Cd")
    try fixture.write(bytes, handle: handle)
    // Parts go up in the background while the file is written; nothing is visible.
    let full = fixture.parts(of: bytes.count, full: true)
    #expect(fixture.eventually { fixture.store.calls(.part) >= full }, "\(fixture.store.calls(.part)) of \(full) parts sent before the close")
    let streaming = fixture.store.openUploadIDs
    #expect(streaming.count == 1)
    #expect(fixture.store.loraKeys.isEmpty)
    try fixture.fs.flush(handle: handle)
    fixture.fs.release(handle: handle)
    #expect(fixture.store.openUploads == 0)
    // The close completed that very upload and sent only the last part: no second upload, no part again.
    #expect(fixture.store.state.withLock { $0.completedUploads } == streaming)
    #expect(fixture.store.calls(.create) == 1 && fixture.store.calls(.abort) == 0)
    #expect(fixture.store.calls(.part) == fixture.parts(of: bytes.count))
    try fixture.fs.rename(from: "/.style.safetensors.Ab12Cd", to: "/style.safetensors", noReplace: false)
    #expect(fixture.store.calls(.create) == 1 && fixture.store.calls(.part) == fixture.parts(of: bytes.count))
    #expect(try fixture.read("style.safetensors") == bytes)
    let key = try #require(fixture.store.loraKeys.first)
    let metadata = fixture.store.state.withLock { $0.metadata[key] }
    #expect(metadata?["lorafs-name"] == "style.safetensors")
}

@Test func aStagingFileWithABadHeaderFailsAtWrite() throws {
    let fixture = try Fixture()
    var bytes = TestLoRA.safetensors(dataBytes: 20_000)
    bytes[8] = UInt8(ascii: "[")
    let handle = try fixture.fs.create(path: "/.bad.safetensors.Zz99Yy")
    defer { fixture.fs.release(handle: handle) }
    // The first write holds the whole header: that write fails, not the close.
    let refused = fixture.firstRefusedWrite(bytes, handle: handle)
    #expect(refused?.errno == EINVAL && refused?.offset == 0)
    #expect(errno { try fixture.fs.flush(handle: handle) } == EINVAL)
    #expect(fixture.store.openUploads == 0 && fixture.store.calls(.create) == 0)
}

@Test func aCopyAtTheMountsPartSizeMeetsS3sMinimumPartSize() throws {
    let fixture = try Fixture(partSize: 8 << 20)  // the store keeps S3's 5 MiB minimum
    let bytes = TestLoRA.safetensors(dataBytes: 20 << 20)
    try fixture.copy(bytes, to: "big.safetensors", chunk: 128 << 10)
    #expect(fixture.store.calls(.part) == 3)
    let row = try #require(try fixture.catalog.lora(named: "big.safetensors"))
    #expect(fixture.store.object(row.objectKey) == bytes)
}

@Test func aWriterThatGoesBackRestartsTheUploadFromTheSpoolInFullParts() throws {
    let fixture = try Fixture(partSize: 8 << 20)
    let bytes = TestLoRA.safetensors(dataBytes: 20 << 20)
    let handle = try fixture.fs.create(path: "/redo.safetensors")
    defer { fixture.fs.release(handle: handle) }
    try fixture.write(Array(bytes.prefix(10 << 20)), handle: handle, chunk: 128 << 10)
    #expect(fixture.eventually { fixture.store.calls(.part) >= 1 }, "the first 8 MiB part streamed")
    // Back to the start (a tool rewriting its header), then the rest.
    try fixture.write(Array(bytes.prefix(4096)), handle: handle)
    try fixture.write(Array(bytes.dropFirst(10 << 20)), handle: handle, at: 10 << 20, chunk: 128 << 10)
    try fixture.fs.flush(handle: handle)
    // The streamed upload was aborted and a new one sent the whole spool in three full-size parts.
    #expect(fixture.store.calls(.create) == 2 && fixture.store.calls(.abort) == 1)
    #expect(fixture.store.state.withLock { $0.completedUploads } == ["upload-2"])
    let row = try #require(try fixture.catalog.lora(named: "redo.safetensors"))
    #expect(fixture.store.object(row.objectKey) == bytes)
    #expect(fixture.store.openUploads == 0)
}
