import Catalog
import SQLiteCatalog
import Foundation
import Generation
import GenerationBackends
import Glibc
import Logging
import Synchronization
import Testing
@testable import LoRAFSCore

/// A backend that records what it is sent and answers what the test says.
private final class FakeBackend: GenerationBackend {
    let kind = "fake"
    struct State {
        var submitted: [(spec: JobSpec, loras: [PresignedLoRA])] = []
        var cancelled: [String] = []
        var status = BackendStatus(state: .running)
    }
    let state = Mutex(State())

    func submit(_ spec: JobSpec, loras: [PresignedLoRA]) throws(BackendError) -> SubmittedJob {
        state.withLock {
            $0.submitted.append((spec, loras))
            return SubmittedJob(backendID: "job-\($0.submitted.count)")
        }
    }
    func status(of job: SubmittedJob) throws(BackendError) -> BackendStatus { state.withLock { $0.status } }
    func cancel(_ job: SubmittedJob) throws(BackendError) { state.withLock { $0.cancelled.append(job.backendID) } }
    func download(_ video: VideoOutput) throws(BackendError) -> [UInt8] { Array("MP4!".utf8) }
}

private struct JobFixture {
    let store = MemoryObjectStore()
    let backend = FakeBackend()
    let fs: WorkspaceFilesystem

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lorafs-jobs-\(UUID())").path
        var options = try WorkspaceOptions(workspace: "w", bucket: "b", stateDirectory: directory)
        options.pollInterval = 0.05
        options.presignExpiry = 600
        fs = try WorkspaceFilesystem(options: options, store: store, catalog: try SQLiteCatalog(), logger: Logger(label: "test"),
                                     backend: backend)
    }

    func write(_ text: String, to path: String) throws {
        let handle = try fs.create(path: path)
        defer { fs.release(handle: handle) }
        _ = try Array(text.utf8).withUnsafeBytes { try fs.write(handle: handle, offset: 0, bytes: $0) }
        try fs.flush(handle: handle)
    }

    func read(_ path: String) throws -> String {
        let handle = try fs.open(path: path, mode: .init(write: false, truncate: false))
        defer { fs.release(handle: handle) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let n = try buffer.withUnsafeMutableBytes { try fs.read(handle: handle, offset: 0, into: $0) }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}

@Test func aSpecWithAStoredLoRAIsSubmittedWithAPresignedURL() throws {
    let fixture = try JobFixture()
    let lora = TestLoRA.safetensors(width: 5120)
    let handle = try fixture.fs.create(path: "/style.safetensors")
    _ = try lora.withUnsafeBytes { try fixture.fs.write(handle: handle, offset: 0, bytes: $0) }
    try fixture.fs.flush(handle: handle)
    fixture.fs.release(handle: handle)

    try fixture.write(#"{"model": "t2v-A14B", "prompt": "a boat", "lora": "style"}"#, to: "/generate/boat.json")
    let sent = fixture.backend.state.withLock { $0.submitted }
    #expect(sent.count == 1)
    #expect(sent.first?.loras.first?.url.contains("X-Amz-Expires=600") == true)
    #expect(sent.first?.loras.first?.size == UInt64(lora.count))
    #expect(try fixture.fs.list(path: "/jobs").map(\.name) == ["boat"])
    #expect(try fixture.read("/jobs/boat/status.json").contains("\"queued\""))
    #expect(try fixture.read("/jobs/boat/spec.json").contains("style.safetensors"))
}

@Test func aRejectedSpecFailsCloseWithEINVALNamingTheFieldAndSubmitsNothing() throws {
    let fixture = try JobFixture()
    #expect(throws: FSError.self) {
        try fixture.write(#"{"model": "t2v-A14B", "prompt": "x", "colour": "red"}"#, to: "/generate/bad.json")
    }
    #expect(fixture.fs.lastError?.contains("generate/bad.json: colour") == true)
    #expect(fixture.backend.state.withLock { $0.submitted.isEmpty })
    #expect(try fixture.fs.list(path: "/jobs").isEmpty)
}

@Test func aSecondSpecWithTheSameNameFailsWithEEXIST() throws {
    let fixture = try JobFixture()
    try fixture.write(#"{"model": "ti2v-5B", "prompt": "x"}"#, to: "/generate/one.json")
    do {
        try fixture.write(#"{"model": "ti2v-5B", "prompt": "y"}"#, to: "/generate/one.json")
        Issue.record("a reused name was accepted")
    } catch let error as FSError {
        #expect(error.errno == EEXIST)
    }
}

@Test func aCompletedJobsVideoIsCopiedIntoTheWorkspace() throws {
    let fixture = try JobFixture()
    try fixture.write(#"{"model": "ti2v-5B", "prompt": "x"}"#, to: "/generate/done.json")
    fixture.backend.state.withLock { $0.status = BackendStatus(state: .completed, video: .url("https://example.invalid/v.mp4")) }
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline, (try? fixture.fs.attributes(path: "/jobs/done/output.mp4")) == nil { usleep(20_000) }
    #expect(try fixture.read("/jobs/done/output.mp4") == "MP4!")
    #expect(fixture.store.object("workspaces/w/jobs/done/output.mp4") == Array("MP4!".utf8))
    #expect(try fixture.read("/jobs/done/status.json").contains("\"completed\""))
}

@Test func removingAnActiveJobCancelsItAtTheBackend() throws {
    let fixture = try JobFixture()
    try fixture.write(#"{"model": "ti2v-5B", "prompt": "x"}"#, to: "/generate/stop.json")
    try fixture.fs.unlink(path: "/jobs/stop/status.json")
    try fixture.fs.removeDirectory(path: "/jobs/stop")
    #expect(fixture.backend.state.withLock { $0.cancelled } == ["job-1"])
    #expect(try fixture.fs.list(path: "/jobs").isEmpty)
}

@Test func anEditorsTempFileRenamedToNAMEJsonSubmitsIt() throws {
    let fixture = try JobFixture()
    let handle = try fixture.fs.create(path: "/generate/.edit.json.swp")
    _ = try Array(#"{"model": "ti2v-5B", "prompt": "saved atomically"}"#.utf8).withUnsafeBytes {
        try fixture.fs.write(handle: handle, offset: 0, bytes: $0)
    }
    try fixture.fs.flush(handle: handle)
    #expect(fixture.backend.state.withLock { $0.submitted.isEmpty })
    try fixture.fs.rename(from: "/generate/.edit.json.swp", to: "/generate/edit.json", noReplace: false)
    fixture.fs.release(handle: handle)
    #expect(fixture.backend.state.withLock { $0.submitted.count } == 1)
    #expect(try fixture.fs.list(path: "/jobs").map(\.name) == ["edit"])
}
