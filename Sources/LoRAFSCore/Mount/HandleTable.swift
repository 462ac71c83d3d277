import Synchronization

/// The open files of the whole mount, by FUSE file handle. Its lock is a leaf:
/// held only to look a handle up or change the table, never while a file works.
final class HandleTable: Sendable {
    private struct Table {
        var files: [UInt64: any OpenFile] = [:]
        var next: UInt64 = 1
    }

    private let table = Mutex(Table())

    /// Registers `file`; returns its handle.
    func insert(_ file: any OpenFile) -> UInt64 {
        table.withLock { table in
            let handle = table.next
            table.next += 1
            table.files[handle] = file
            return handle
        }
    }

    func file(_ handle: UInt64) throws(FSError) -> any OpenFile {
        guard let file = table.withLock({ $0.files[handle] }) else { throw FSError(.badHandle) }
        return file
    }

    func lookup(_ handle: UInt64?) -> (any OpenFile)? {
        guard let handle else { return nil }
        return table.withLock { $0.files[handle] }
    }

    func remove(_ handle: UInt64) -> (any OpenFile)? {
        table.withLock { $0.files.removeValue(forKey: handle) }
    }
}
