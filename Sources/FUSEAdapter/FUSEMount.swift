import CFuse
import Foundation
import Glibc
import Logging
import LoRAFSCore

/// The one binding between libfuse's high-level API and `WorkspaceFilesystem`.
///
/// Every callback recovers this object from the FUSE context, calls the
/// filesystem, and turns its `FSError` into `-errno`. Nothing else in lorafs
/// sees a libfuse type.
public final class FUSEMount: @unchecked Sendable {
    let filesystem: WorkspaceFilesystem
    let mountpoint: String
    let options: [String]
    let logger: Logger
    let owner = (uid: getuid(), gid: getgid())
    let listings = DirectoryListings()

    /// - Parameters:
    ///   - options: `-o` options for libfuse (`fsname=...`, user-supplied ones).
    public init(filesystem: WorkspaceFilesystem, mountpoint: String, options: [String], logger: Logger) {
        self.filesystem = filesystem
        self.mountpoint = mountpoint
        self.options = options
        self.logger = logger
    }

    /// Mounts, calls `onMounted` once the mount is live, and serves requests until
    /// unmounted (`lorafs unmount`, `fusermount3 -u`, SIGTERM). Returns the loop's status.
    public func run(onMounted: () -> Void) throws -> Int32 {
        var operations = Self.operations()
        let arguments = ["lorafs", "-o", options.joined(separator: ",")]
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let context = Unmanaged.passRetained(self)
        defer { context.release() }

        return try cArguments.withUnsafeMutableBufferPointer { argv throws -> Int32 in
            var args = fuse_args(argc: Int32(arguments.count), argv: argv.baseAddress, allocated: 0)
            defer { fuse_opt_free_args(&args) }
            guard let fuse = lorafs_fuse_new(&args, &operations, context.toOpaque()) else {
                throw MountError("libfuse refused the mount options: \(options.joined(separator: ","))")
            }
            defer { fuse_destroy(fuse) }
            guard fuse_mount(fuse, mountpoint) == 0 else {
                throw MountError("cannot mount on \(mountpoint) (is it an existing, empty directory, and is /dev/fuse available?)")
            }
            defer { fuse_unmount(fuse) }
            let session = fuse_get_session(fuse)
            guard fuse_set_signal_handlers(session) == 0 else { throw MountError("cannot install signal handlers") }
            defer { fuse_remove_signal_handlers(session) }
            onMounted()
            return lorafs_fuse_loop_mt(fuse, 64, 8)
        }
    }

    static func current() -> FUSEMount {
        Unmanaged<FUSEMount>.fromOpaque(fuse_get_context()!.pointee.private_data).takeUnretainedValue()
    }
}

/// A mount that could not start, with the reason to print.
public struct MountError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
