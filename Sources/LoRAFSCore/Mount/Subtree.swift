/// One part of the mount's namespace. It owns its names, its state, the files it
/// opens and its errors; the router (`WorkspaceFilesystem`) hands it every request
/// for a path inside its folder, as the path components below that folder.
///
/// The subtrees today: the LoRA library (the files at the root), the control files
/// (`.lorafs/`), the spec inbox (`generate/`) and the jobs (`jobs/`). A new part of
/// the namespace (a trash, previews) is one new conforming type and one line in
/// `WorkspaceFilesystem.init`.
///
/// Paths are component arrays: `[]` is the subtree's own folder. `handle` is the
/// open file a request came with (`getattr`/`ftruncate` on a descriptor), if any.
protocol Subtree: AnyObject, Sendable {
    /// The root folder it serves (`.lorafs`, `generate`), nil for the library, which serves the root's files.
    var folder: String? { get }
    /// What the subtrees of the mount share (the log and `.lorafs/errors` among it).
    var services: WorkspaceServices { get }
    func attributes(of path: [String], handle: (any OpenFile)?, caller: ProcessIdentity?) throws(FSError) -> FileAttributes
    func list(_ path: [String]) throws(FSError) -> [DirectoryEntry]
    func open(_ path: [String], mode: OpenMode, caller: ProcessIdentity?) throws(FSError) -> any OpenFile
    func create(_ path: [String], caller: ProcessIdentity?) throws(FSError) -> any OpenFile
    func truncate(_ path: [String], size: UInt64, handle: (any OpenFile)?) throws(FSError)
    func unlink(_ path: [String]) throws(FSError)
    /// Both paths are inside this subtree (the router refuses renames across subtrees).
    func rename(from source: [String], to target: [String], noReplace: Bool) throws(FSError)
    func removeDirectory(_ path: [String]) throws(FSError)
    /// `user.lorafs.*` attributes; nil when there is none of that name.
    func extendedAttribute(_ name: String, of path: [String]) -> String?
    func extendedAttributeNames(of path: [String]) -> [String]
    /// At unmount.
    func shutdown()
}

extension Subtree {
    func create(_ path: [String], caller: ProcessIdentity?) throws(FSError) -> any OpenFile {
        throw services.report(.notPermitted(display(path), why: "cannot create files here"))
    }
    func truncate(_ path: [String], size: UInt64, handle: (any OpenFile)?) throws(FSError) {
        throw FSError(.readOnly(display(path)))
    }
    func unlink(_ path: [String]) throws(FSError) { throw FSError(.cannotRemove(display(path))) }
    func rename(from source: [String], to target: [String], noReplace: Bool) throws(FSError) {
        throw services.report(.renameOutsideRoot(from: display(source), to: display(target)))
    }
    func removeDirectory(_ path: [String]) throws(FSError) {
        throw FSError(path.isEmpty ? .notPermitted(display(path), why: "cannot be removed") : .notDirectory(display(path)))
    }
    func extendedAttribute(_ name: String, of path: [String]) -> String? { nil }
    func extendedAttributeNames(of path: [String]) -> [String] { [] }
    func shutdown() {}

    /// The path inside the mount, for messages: `generate/x.json`, `jobs/boat`, `style.safetensors`.
    func display(_ path: [String]) -> String { ([folder].compactMap { $0 } + path).joined(separator: "/") }
}
