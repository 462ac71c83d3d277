import Catalog
import SQLiteCatalog
import Foundation
import Glibc
import Logging
import Testing
@testable import LoRAFSCore

/// A workspace over an in-memory store and catalog, with a temp state directory.
struct Fixture {
    let store = MemoryObjectStore()
    let catalog: SQLiteCatalog
    let fs: WorkspaceFilesystem

    init(partSize: UInt64 = 1024, maxFileSize: UInt64 = WorkspaceOptions.absoluteMaxFileSize, s3Timeout: Double = 120) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lorafs-core-\(UUID())").path
        var options = try WorkspaceOptions(workspace: "test", bucket: "bucket", stateDirectory: directory, maxFileSize: maxFileSize)
        options.partSize = partSize
        options.maxPartsInFlight = 2
        options.s3Timeout = s3Timeout
        catalog = try SQLiteCatalog()
        fs = try WorkspaceFilesystem(options: options, store: store, catalog: catalog, logger: Logger(label: "test"))
    }

    /// What `cp` does: create, write in chunks, close (flush + release).
    func copy(_ bytes: [UInt8], to name: String, chunk: Int = 700) throws {
        let handle = try fs.create(path: "/" + name)
        defer { fs.release(handle: handle) }
        try write(bytes, handle: handle, chunk: chunk)
        try fs.flush(handle: handle)
    }

    func write(_ bytes: [UInt8], handle: UInt64, chunk: Int = 700) throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            let slice = Array(bytes[offset..<end])
            _ = try slice.withUnsafeBytes { buffer in
                try fs.write(handle: handle, offset: UInt64(offset), bytes: buffer)
            }
            offset = end
        }
    }

    func read(_ name: String) throws -> [UInt8] {
        let handle = try fs.open(path: "/" + name, mode: .init(write: false, truncate: false))
        defer { fs.release(handle: handle) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 333)
        while true {
            let n = try buffer.withUnsafeMutableBytes { raw in
                try fs.read(handle: handle, offset: UInt64(result.count), into: raw)
            }
            if n == 0 { return result }
            result += buffer[0..<n]
        }
    }
}

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
    let handle = try fixture.fs.create(path: "/bad.safetensors")
    defer { fixture.fs.release(handle: handle) }
    let code = errno { try fixture.write(bytes, handle: handle) }
    #expect(code == EINVAL)
    #expect(errno { try fixture.fs.flush(handle: handle) } == EINVAL)
    #expect(fixture.store.openUploads == 0)
}

@Test func anS3FailureAtCompleteFailsCloseWithEIOAndAbortsTheUpload() throws {
    let fixture = try Fixture()
    fixture.store.fail("complete")
    let code = errno { try fixture.copy(TestLoRA.safetensors(dataBytes: 10_000), to: "x.safetensors") }
    #expect(code == EIO)
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    // After a failure talking to S3 the abort runs in the background (close() does not wait on S3 again).
    let deadline = Date().addingTimeInterval(5)
    while fixture.store.openUploads > 0, Date() < deadline { usleep(10_000) }
    #expect(fixture.store.openUploads == 0)
    #expect(fixture.store.loraKeys.isEmpty)
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

@Test func renameIsACatalogUpdateWithoutCopying() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
    let key = try #require(try fixture.catalog.lora(named: "a.safetensors")).objectKey
    try fixture.fs.rename(from: "/a.safetensors", to: "/b.safetensors", noReplace: false)
    #expect(try fixture.catalog.lora(named: "b.safetensors")?.objectKey == key)
    #expect(fixture.store.loraKeys == [key])
    #expect(errno { try fixture.fs.rename(from: "/b.safetensors", to: "/b.txt", noReplace: false) } == EPERM)
}

@Test func aStagingFileIsCommittedOnlyByItsRename() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 5000)
    try fixture.copy(bytes, to: ".style.safetensors.Ab12Cd")
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    #expect(fixture.store.loraKeys.isEmpty)
    try fixture.fs.rename(from: "/.style.safetensors.Ab12Cd", to: "/style.safetensors", noReplace: false)
    #expect(try fixture.catalog.allLoRAs().map(\.name) == ["style.safetensors"])
    #expect(try fixture.read("style.safetensors") == bytes)
}

@Test func aStagingFileNeverRenamedIsDiscarded() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(), to: "x.safetensors.part")
    fixture.fs.sweepStaging(olderThan: 0)
    #expect(throws: FSError.self) { try fixture.fs.attributes(path: "/x.safetensors.part") }
    #expect(fixture.store.loraKeys.isEmpty)
    // Not silent: the discarded copy has its line in .lorafs/errors.
    #expect(fixture.fs.lastError?.contains("x.safetensors.part: a temporary file never renamed to a LoRA name") == true)
    #expect(fixture.fs.lastError?.hasSuffix("(ECANCELED)") == true)
}

@Test func removingWhenS3RefusesFailsWithEIOAndKeepsTheLoRA() throws {
    let fixture = try Fixture()
    try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
    fixture.store.fail("delete")
    #expect(errno { try fixture.fs.unlink(path: "/a.safetensors") } == EIO)
    #expect(try fixture.catalog.allLoRAs().count == 1)
    fixture.store.fail("delete", false)
    try fixture.fs.unlink(path: "/a.safetensors")
    #expect(try fixture.catalog.allLoRAs().isEmpty)
    #expect(fixture.store.loraKeys.isEmpty)
}

@Test func writingPastTheSizeLimitFailsAtOnceWithEFBIG() throws {
    let fixture = try Fixture(maxFileSize: 5000)
    let handle = try fixture.fs.create(path: "/big.safetensors")
    defer { fixture.fs.release(handle: handle) }
    #expect(errno { try fixture.write(TestLoRA.safetensors(dataBytes: 10_000), handle: handle) } == EFBIG)
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
    try fixture.fs.flush(handle: handle)
    #expect(try fixture.read("pre.safetensors") == bytes)
}

@Test func staleMultipartUploadsAreAbortedAtMount() throws {
    let fixture = try Fixture()
    _ = try fixture.store.createMultipartUpload(key: "workspaces/test/loras/old.safetensors", metadata: [:])
    _ = try fixture.store.createMultipartUpload(key: "workspaces/other/loras/theirs.safetensors", metadata: [:])
    #expect(try fixture.fs.abortStaleUploads() == 1)
    #expect(fixture.store.openUploads == 1)
}

@Test func rsyncsTempFileStreamsWhileWrittenAndItsRenameCompletesTheSameUpload() throws {
    let fixture = try Fixture()
    let bytes = TestLoRA.safetensors(dataBytes: 20_000)
    try fixture.copy(bytes, to: ".style.safetensors.Ab12Cd")
    // Parts go up in the background while the file is written; nothing is visible.
    let deadline = Date().addingTimeInterval(5)
    while fixture.store.openUploads == 0 && Date() < deadline { usleep(5_000) }
    #expect(fixture.store.openUploads == 1)
    #expect(fixture.store.loraKeys.isEmpty)
    try fixture.fs.rename(from: "/.style.safetensors.Ab12Cd", to: "/style.safetensors", noReplace: false)
    #expect(fixture.store.openUploads == 0)
    #expect(try fixture.read("style.safetensors") == bytes)
    let key = try #require(fixture.store.loraKeys.first)
    let metadata = fixture.store.state.withLock { $0.metadata[key] }
    #expect(metadata?["lorafs-name"] == "style.safetensors")
}

@Test func aStagingFileWithABadHeaderFailsAtWrite() throws {
    let fixture = try Fixture()
    var bytes = TestLoRA.safetensors(dataBytes: 20_000)
    bytes[8] = UInt8(ascii: "[")
    #expect(errno { try fixture.copy(bytes, to: ".bad.safetensors.Zz99Yy") } == EINVAL)
    #expect(fixture.store.openUploads == 0)
}
