import Foundation
import Testing
@testable import Platform

/// A fresh directory under the system temporary directory, removed afterwards.
@discardableResult
private func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let path = NSTemporaryDirectory() + "/platform-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

@Suite struct AnonymousFileTests {
    @Test func bytesWrittenAtOffsetsReadBackAndTheFileHasNoName() throws {
        try withTemporaryDirectory { directory in
            let file = try AnonymousFile(directory: directory)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
            #expect(try file.linkCount() == 0)

            let payload: [UInt8] = Array("hello, spool".utf8)
            try payload.withUnsafeBytes { try file.write(at: 4, $0) }
            var back = [UInt8](repeating: 0xFF, count: 32)
            let n = try back.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
            #expect(n == 4 + payload.count)  // short only at the end of the file
            #expect(Array(back[0..<4]) == [0, 0, 0, 0])
            #expect(Array(back[4..<n]) == payload)

            try file.truncate(to: 6)
            let cut = try back.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
            #expect(cut == 6)
        }
    }

    @Test func theRunningProgramsOwnFileIsFound() throws {
        let path = try #require(ProcFS.executablePath())
        #expect(path.hasPrefix("/"))
        #expect(FileManager.default.isExecutableFile(atPath: path))
    }

    @Test func aMissingDirectoryFailsWithTheCallAndErrno() {
        #expect {
            _ = try AnonymousFile(directory: "/nonexistent-\(UUID().uuidString)")
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.errno == ENOENT && error.isNotFound && !error.isNoSpace && error.call == "open"
                && error.description.contains("No such file or directory")
        }
    }

    @Test func noSpaceIsRecognised() {
        #expect(SystemError(errno: ENOSPC, call: "pwrite").isNoSpace)
        #expect(SystemError(errno: EDQUOT, call: "pwrite").isNoSpace)
        #expect(SystemError(errno: EIO, call: "pwrite").description == "pwrite: Input/output error (errno 5)")
    }
}

@Suite struct ProcFSTests {
    @Test func theCurrentThreadBelongsToThisProcess() {
        #expect(ProcFS.threadGroupID(ofThread: ProcFS.currentThreadID()) == getpid())
        #expect(ProcFS.threadGroupID(ofThread: getpid()) == getpid())
    }

    @Test func aThreadOfThisProcessMapsToIt() {
        final class Result: @unchecked Sendable { var thread: Int32 = 0, group: Int32? }  // written before signal()
        let result = Result()
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.thread = ProcFS.currentThreadID()
            result.group = ProcFS.threadGroupID(ofThread: result.thread)
            done.signal()
        }.start()
        done.wait()
        #expect(result.thread != getpid())
        #expect(result.group == getpid())
    }

    @Test func aStatusTextWithoutTgidHasNone() {
        #expect(ProcFS.threadGroupID(status: "Name:\tx\nTgid:\t 42\nPid:\t43\n") == 42)
        #expect(ProcFS.threadGroupID(status: "Name:\tx\n") == nil)
    }

    @Test func mountinfoLinesAreParsedWithEscapedSpaces() {
        let text = """
            36 35 98:0 / /mnt/my\\040loras rw,nosuid,nodev master:1 - fuse.lorafs lorafs rw,user_id=1000
            37 35 0:5 / /proc rw - proc proc rw
            38 35 0:6 / /back\\134slash rw shared:2 shared:3 - ext4 /dev/sda1 rw
            garbage
            """
        let mounts = ProcFS.parseMountInfo(text)
        #expect(mounts == [
            .init(mountPoint: "/mnt/my loras", fileSystemType: "fuse.lorafs"),
            .init(mountPoint: "/proc", fileSystemType: "proc"),
            .init(mountPoint: "/back\\slash", fileSystemType: "ext4"),
        ])
        #expect(mounts.map(\.isFUSE) == [true, false, false])
        #expect(ProcFS.unescapeOctal("/a\\04") == "/a\\04")  // a cut-off escape stays as it is
    }

    @Test func theRootIsMountedButNotByFUSE() throws {
        #expect(try ProcFS.mounts().contains { $0.mountPoint == "/" })
        #expect(!ProcFS.isFUSEMountPoint("/"))
    }
}

@Suite struct ChildProcessTests {
    @Test func trueExitsZeroAndFalseOne() throws {
        try withTemporaryDirectory { directory in
            let log = directory + "/log"
            #expect(try ChildProcess.spawn("/bin/true", arguments: [], logPath: log).waitForTermination() == .exited(0))
            #expect(try ChildProcess.spawn("/bin/false", arguments: [], logPath: log).waitForTermination() == .exited(1))
            let mode = try FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func outputIsAppendedToTheLogInANewSession() throws {
        try withTemporaryDirectory { directory in
            let log = directory + "/log"
            try "before\n".write(toFile: log, atomically: false, encoding: .utf8)
            let script = "echo out; echo err >&2; read x && echo stdin-not-empty; ps -o sid= -p $$ | tr -d ' '; echo $$"
            let child = try ChildProcess.spawn("/bin/sh", arguments: ["-c", script], logPath: log)
            #expect(try child.waitForTermination() == .exited(0))
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(Array(lines.prefix(3)) == ["before", "out", "err"])
            #expect(!lines.contains("stdin-not-empty"))
            if lines.count == 5 { #expect(lines[3] == lines[4]) }  // session leader (when ps exists)
        }
    }

    @Test func aRunningChildCanBeSignalled() throws {
        try withTemporaryDirectory { directory in
            let child = try ChildProcess.spawn("/bin/sleep", arguments: ["30"], logPath: directory + "/log")
            #expect(try child.termination() == nil)
            try child.send(SIGTERM)
            #expect(try child.waitForTermination() == .signaled(SIGTERM))
        }
    }

    @Test func aMissingExecutableIsASystemError() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: SystemError.self) {
                _ = try ChildProcess.spawn("/nonexistent/program", arguments: [], logPath: directory + "/log")
            }
        }
    }
}
