import Foundation
import Glibc
import Testing
@testable import LoRAFSCore

/// The router hands each path to one subtree, and each handle to its open file.
@Suite("router")
struct RouterTests {
    @Test(arguments: [
        ("/style.safetensors", "LoRALibrary", ["style.safetensors"]),
        ("/.lorafs", "ControlFiles", []),
        ("/.lorafs/status", "ControlFiles", ["status"]),
        ("/generate/boat.json", "SpecInbox", ["boat.json"]),
        ("/jobs/boat/status.json", "JobsFolder", ["boat", "status.json"]),
        ("/jobs//boat/", "JobsFolder", ["boat"]),
        ("/generated.safetensors", "LoRALibrary", ["generated.safetensors"]),
    ])
    func eachPathGoesToTheSubtreeOfItsFirstComponent(path: String, subtree: String, rest: [String]) throws {
        let fixture = try Fixture()
        let (found, components) = try #require(fixture.fs.route(path))
        #expect(String(describing: type(of: found)) == subtree)
        #expect(components == rest)
    }

    @Test func theRootListsTheFoldersThenTheLibrary() throws {
        let fixture = try Fixture()
        #expect(fixture.fs.route("/") == nil)
        try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
        #expect(try fixture.fs.list(path: "/").map(\.name) == [".lorafs", "generate", "jobs", "a.safetensors"])
        #expect(try fixture.fs.attributes(path: "/").kind == .directory)
    }

    @Test func aRenameAcrossSubtreesIsRefusedWithEPERMAndReported() throws {
        let fixture = try Fixture()
        try fixture.copy(TestLoRA.safetensors(), to: "a.safetensors")
        var code: Int32?
        do { try fixture.fs.rename(from: "/a.safetensors", to: "/generate/a.json", noReplace: false) } catch { code = error.errno }
        #expect(code == EPERM)
        #expect(fixture.fs.lastError?.contains("only files at the top of the mount can be renamed") == true)
        #expect(try fixture.fs.attributes(path: "/a.safetensors").size > 0)
    }

    @Test func aReleasedHandleIsGoneAndAnUnknownOneIsEBADF() throws {
        let fixture = try Fixture()
        let handle = try fixture.fs.open(path: "/.lorafs/status", mode: .init(write: false, truncate: false))
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try buffer.withUnsafeMutableBytes { try fixture.fs.read(handle: handle, offset: 0, into: $0) }
        #expect(String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("workspace: test"))
        fixture.fs.release(handle: handle)
        var code: Int32?
        do { _ = try buffer.withUnsafeMutableBytes { try fixture.fs.read(handle: handle, offset: 0, into: $0) } } catch { code = (error as? FSError)?.errno }
        #expect(code == EBADF)
    }
}
