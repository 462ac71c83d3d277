import Foundation

/// The attributes the mount shows for one entry.
public struct FileAttributes: Sendable, Equatable {
    public enum Kind: Sendable { case file, directory }
    public var kind: Kind
    public var size: UInt64
    /// Seconds since 1970.
    public var modified: Double
    public var mode: UInt32
    /// Whether reads must bypass the page cache (control files whose size changes).
    public var isVirtual = false

    /// A folder of the mount (`/`, `.lorafs/`, `generate/`, `jobs/NAME/`).
    static func directory(modified: Double) -> FileAttributes {
        FileAttributes(kind: .directory, size: 4096, modified: modified, mode: 0o755)
    }

    /// A read-only file whose content is computed when read (status, schema, job status).
    static func virtualFile(size: Int, modified: Double = Date().timeIntervalSince1970) -> FileAttributes {
        FileAttributes(kind: .file, size: UInt64(size), modified: modified, mode: 0o444, isVirtual: true)
    }
}

/// One entry of a directory listing.
public struct DirectoryEntry: Sendable {
    public var name: String
    public var attributes: FileAttributes
}

/// How a file is opened.
public struct OpenMode: Sendable {
    public var write: Bool
    public var truncate: Bool
    public init(write: Bool, truncate: Bool) {
        self.write = write
        self.truncate = truncate
    }
}
