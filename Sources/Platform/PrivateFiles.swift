import Glibc

/// Files lorafs creates hold names, hashes, prompts and LoRA bytes: only their
/// owner may read them.
public enum PrivateFiles {
    /// From now on, files this process creates are 0600 and folders 0700,
    /// whatever mode a library asks for (SQLite asks for 0644).
    ///
    /// The corresponding C function is `umask`.
    public static func restrictNewFiles() {
        _ = umask(0o077)
    }

    /// Makes an existing file or folder private: 0600, or 0700 for a folder
    /// (an earlier version created them 0644 and 0755).
    ///
    /// The corresponding C function is `chmod`.
    public static func restrict(_ path: String, isDirectory: Bool) throws(SystemError) {
        guard chmod(path, isDirectory ? 0o700 : 0o600) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw SystemError(errno: code, call: "chmod", path: path)
        }
    }
}
