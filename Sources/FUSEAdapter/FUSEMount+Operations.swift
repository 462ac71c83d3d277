import CFuse
import Foundation
import Glibc
import LoRAFSCore

/// The callback table. Each entry is a thin shim: decode C arguments, call the
/// filesystem, encode the answer.
extension FUSEMount {
    static func operations() -> fuse_operations {
        var ops = fuse_operations()
        ops.`init` = { conn, config in
            if let config {
                config.pointee.hard_remove = 1  // no .fuse_hidden* files for unlinked open files
                config.pointee.entry_timeout = 1
                config.pointee.attr_timeout = 1
                config.pointee.negative_timeout = 0
                config.pointee.use_ino = 0
                config.pointee.nullpath_ok = 0
            }
            if let conn {
                conn.pointee.want |= lorafs_cap_atomic_o_trunc()
                // READDIRPLUS for every chunk of a listing, not only the first: in "auto" mode
                // the kernel asked READDIRPLUS for the first 1 MiB and plain READDIR after it,
                // so `ls -l` of 100,000 LoRAs sent 99,249 LOOKUPs (3-4 s). The attributes
                // come from memory, so sending them with every name costs little.
                conn.pointee.want &= ~lorafs_cap_readdirplus_auto()
            }
            return fuse_get_context()!.pointee.private_data
        }
        ops.destroy = { _ in FUSEMount.current().filesystem.shutdown() }
        ops.getattr = { path, st, fi in
            let mount = FUSEMount.current()
            return mount.reply {
                let attributes = try mount.filesystem.attributes(
                    path: try mount.path(path!), handle: fi.map { $0.pointee.fh }, caller: FUSEMount.caller())
                mount.fill(st!, attributes)
            }
        }
        ops.opendir = { path, fi in
            let mount = FUSEMount.current()
            return mount.reply {
                _ = try mount.path(path!)
                fi!.pointee.fh = mount.listings.open()
            }
        }
        ops.releasedir = { _, fi in
            FUSEMount.current().listings.release(fi!.pointee.fh)
            return 0
        }
        ops.readdir = { path, buffer, filler, offset, fi, flags in
            let mount = FUSEMount.current()
            return mount.reply {
                // Offset mode (see DirectoryListings): entry i of [".", "..", names...] has offset
                // i + 1, and a call starting at `offset` fills from entry `offset` until the reply is full.
                let entries = try mount.listings.entries(fi!.pointee.fh, fromStart: offset == 0) { () throws(FSError) in
                    try mount.filesystem.list(path: try mount.path(path!))
                }
                // With readdirplus the kernel keeps these attributes: `ls -l` then
                // needs no LOOKUP per entry.
                let plus = flags.rawValue & FUSE_READDIR_PLUS.rawValue != 0 ? FUSE_FILL_DIR_PLUS : fuse_fill_dir_flags(rawValue: 0)
                let none = fuse_fill_dir_flags(rawValue: 0)
                var index = Int(max(0, offset))
                if index == 0 {
                    if filler!(buffer, ".", nil, 1, none) != 0 { return }
                    index = 1
                }
                if index == 1 {
                    if filler!(buffer, "..", nil, 2, none) != 0 { return }
                    index = 2
                }
                var st = stat()
                while index - 2 < entries.count {
                    let entry = entries[index - 2]
                    mount.fill(&st, entry.attributes)
                    if filler!(buffer, entry.name, &st, off_t(index + 1), plus) != 0 { return }
                    index += 1
                }
            }
        }
        ops.create = { path, _, fi in
            let mount = FUSEMount.current()
            return mount.reply {
                fi!.pointee.fh = try mount.filesystem.create(path: try mount.path(path!), caller: FUSEMount.caller())
            }
        }
        ops.open = { path, fi in
            let mount = FUSEMount.current()
            return mount.reply {
                let flags = fi!.pointee.flags
                let mode = OpenMode(write: flags & O_ACCMODE != O_RDONLY, truncate: flags & O_TRUNC != 0)
                let name = try mount.path(path!)
                let handle = try mount.filesystem.open(path: name, mode: mode, caller: FUSEMount.caller())
                fi!.pointee.fh = handle
                if mount.filesystem.isVirtual(handle: handle) { fi!.pointee.direct_io = 1 }
            }
        }
        ops.read = { _, buffer, size, offset, fi in
            let mount = FUSEMount.current()
            return mount.replyCount {
                try mount.filesystem.read(handle: fi!.pointee.fh, offset: UInt64(offset),
                                          into: UnsafeMutableRawBufferPointer(start: buffer, count: size))
            }
        }
        ops.write = { _, buffer, size, offset, fi in
            let mount = FUSEMount.current()
            return mount.replyCount {
                try mount.filesystem.write(handle: fi!.pointee.fh, offset: UInt64(offset),
                                           bytes: UnsafeRawBufferPointer(start: buffer, count: size))
            }
        }
        ops.flush = { _, fi in
            let mount = FUSEMount.current()
            return mount.reply { try mount.filesystem.flush(handle: fi!.pointee.fh, caller: FUSEMount.caller()) }
        }
        ops.release = { _, fi in
            FUSEMount.current().filesystem.release(handle: fi!.pointee.fh)
            return 0
        }
        ops.fsync = { _, _, fi in
            let mount = FUSEMount.current()
            return mount.reply { try mount.filesystem.fsync(handle: fi!.pointee.fh) }
        }
        ops.truncate = { path, size, fi in
            let mount = FUSEMount.current()
            return mount.reply {
                guard size >= 0 else { throw FSError(.badRange("negative size")) }
                try mount.filesystem.truncate(path: try mount.path(path!), size: UInt64(size), handle: fi.map { $0.pointee.fh })
            }
        }
        ops.fallocate = { _, mode, offset, length, fi in
            let mount = FUSEMount.current()
            return mount.reply {
                guard offset >= 0, length > 0 else { throw FSError(.badRange("bad fallocate range")) }
                try mount.filesystem.allocate(handle: fi!.pointee.fh, offset: UInt64(offset), length: UInt64(length),
                                              keepSize: UInt32(mode) & lorafs_fallocate_keep_size() != 0)
            }
        }
        ops.unlink = { path in
            let mount = FUSEMount.current()
            return mount.reply { try mount.filesystem.unlink(path: try mount.path(path!)) }
        }
        ops.rename = { from, to, flags in
            let mount = FUSEMount.current()
            return mount.reply {
                if flags & lorafs_rename_exchange() != 0 { throw FSError(.renameExchange) }
                try mount.filesystem.rename(from: try mount.path(from!), to: try mount.path(to!),
                                            noReplace: flags & lorafs_rename_noreplace() != 0)
            }
        }
        // The workspace holds files only: links are refused plainly (not ENOSYS).
        ops.symlink = { _, link in
            let mount = FUSEMount.current()
            return mount.reply { throw mount.filesystem.report(FSError(.notPermitted(String(try mount.path(link!).dropFirst()), why: "links are not supported; copy the file"))) }
        }
        ops.link = { _, link in
            let mount = FUSEMount.current()
            return mount.reply { throw mount.filesystem.report(FSError(.notPermitted(String(try mount.path(link!).dropFirst()), why: "links are not supported; copy the file"))) }
        }
        ops.mkdir = { path, _ in
            let mount = FUSEMount.current()
            return mount.reply { try mount.filesystem.makeDirectory(path: try mount.path(path!)) }
        }
        ops.rmdir = { path in
            let mount = FUSEMount.current()
            return mount.reply { try mount.filesystem.removeDirectory(path: try mount.path(path!)) }
        }
        // Metadata changes that copy tools make (`cp -p`, `rsync -a`, `shutil.copy2`)
        // succeed: mode, owner and times are the mount's own.
        ops.chmod = { path, _, fi in FUSEMount.current().existing(path, fi) }
        ops.chown = { path, _, _, fi in FUSEMount.current().existing(path, fi) }
        ops.utimens = { path, _, fi in FUSEMount.current().existing(path, fi) }
        ops.access = { path, _ in FUSEMount.current().existing(path, nil) }
        ops.statfs = { _, st in
            let capacity = FUSEMount.current().filesystem.capacity
            memset(st!, 0, MemoryLayout<statvfs>.size)
            st!.pointee.f_bsize = UInt(capacity.blockSize)
            st!.pointee.f_frsize = UInt(capacity.blockSize)
            st!.pointee.f_blocks = fsblkcnt_t(capacity.blocks)
            st!.pointee.f_bfree = fsblkcnt_t(capacity.freeBlocks)
            st!.pointee.f_bavail = fsblkcnt_t(capacity.freeBlocks)
            st!.pointee.f_files = fsfilcnt_t(capacity.files)
            st!.pointee.f_ffree = fsfilcnt_t(capacity.freeFiles)
            st!.pointee.f_favail = fsfilcnt_t(capacity.freeFiles)
            st!.pointee.f_namemax = 255
            return 0
        }
        // Answered from memory: the kernel asks for security.capability before every write.
        ops.getxattr = { path, name, value, size in
            // Only the `user.` namespace exists here. Saying so (EOPNOTSUPP, what the kernel
            // answers for a namespace a filesystem has no handler for) rather than ENODATA
            // lets `ls -l` stop asking: coreutils remembers a device that does not support
            // SELinux labels or ACLs, so the probes of security.selinux and
            // system.posix_acl_access are one round trip per listing, not two per entry.
            guard strncmp(name!, "user.", 5) == 0 else { return -EOPNOTSUPP }
            let mount = FUSEMount.current()
            guard let path = String(validatingCString: path!), let name = String(validatingCString: name!),
                  let text = mount.filesystem.extendedAttribute(path: path, name: name) else {
                return -ENODATA
            }
            let bytes = Array(text.utf8)
            if size == 0 { return Int32(bytes.count) }
            guard size >= bytes.count else { return -ERANGE }
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawPointer(value!).copyMemory(from: source.baseAddress!, byteCount: bytes.count)
            }
            return Int32(bytes.count)
        }
        ops.listxattr = { path, list, size in
            let mount = FUSEMount.current()
            let names = String(validatingCString: path!).map { mount.filesystem.extendedAttributeNames(path: $0) } ?? []
            let bytes: [UInt8] = names.flatMap { Array($0.utf8) + [UInt8(0)] }
            if size == 0 { return Int32(bytes.count) }
            guard size >= bytes.count else { return -ERANGE }
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawPointer(list!).copyMemory(from: source.baseAddress!, byteCount: bytes.count)
            }
            return Int32(bytes.count)
        }
        return ops
    }

    /// A path from the kernel. Names that are not UTF-8 are refused (EINVAL)
    /// rather than stored with U+FFFD in place of their bytes.
    func path(_ raw: UnsafePointer<CChar>) throws(FSError) -> String {
        guard let path = String(validatingCString: raw) else {
            throw filesystem.report(FSError(.invalidName(String(decoding: Data(bytes: raw, count: strlen(raw)), as: UTF8.self))))
        }
        return path
    }

    /// The process making the current request.
    static func caller() -> ProcessIdentity {
        ProcessIdentity(threadID: fuse_get_context()!.pointee.pid)
    }

    /// Runs `body`, mapping its error to `-errno` (EIO for anything unexpected).
    func reply(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch let error as FSError {
            return -error.errno
        } catch {
            logger.error("unexpected error: \(error)")
            return -EIO
        }
    }

    func replyCount(_ body: () throws -> Int) -> Int32 {
        do {
            return Int32(try body())
        } catch let error as FSError {
            return -error.errno
        } catch {
            logger.error("unexpected error: \(error)")
            return -EIO
        }
    }

    func existing(_ path: UnsafePointer<CChar>?, _ fi: UnsafeMutablePointer<fuse_file_info>?) -> Int32 {
        reply {
            _ = try filesystem.attributes(path: try self.path(path!), handle: fi.map { $0.pointee.fh }, caller: FUSEMount.caller())
        }
    }

    func fill(_ st: UnsafeMutablePointer<stat>, _ attributes: FileAttributes) {
        memset(st, 0, MemoryLayout<stat>.size)
        let isDirectory = attributes.kind == .directory
        st.pointee.st_mode = (isDirectory ? S_IFDIR : S_IFREG) | mode_t(attributes.mode)
        st.pointee.st_nlink = isDirectory ? 2 : 1
        st.pointee.st_uid = owner.uid
        st.pointee.st_gid = owner.gid
        st.pointee.st_size = off_t(attributes.size)
        st.pointee.st_blksize = 1 << 20  // or `cp` writes in 128 KiB pieces
        st.pointee.st_blocks = blkcnt_t((attributes.size + 511) / 512)
        let seconds = attributes.modified.rounded(.down)
        let time = timespec(tv_sec: Int(seconds), tv_nsec: Int((attributes.modified - seconds) * 1e9))
        st.pointee.st_mtim = time
        st.pointee.st_ctim = time
        st.pointee.st_atim = time
    }
}
