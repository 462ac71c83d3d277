/// The NOTIFY channel of one workspace: `lorafs_` and 16 hex digits of a hash of its name.
///
/// `LISTEN` takes an identifier, which cannot be a parameter, so the workspace name (any
/// text) never reaches SQL: only this name, made of `[a-z0-9_]` and well under PostgreSQL's
/// 63-byte limit for identifiers, does. The hash is 64-bit FNV-1a of the name's UTF-8 bytes;
/// two workspaces that share a channel only wake each other's listeners for nothing (a
/// listener then reads `changes(since:)` and finds none), so collisions cost no correctness.
/// Anyone who can connect can listen on a channel: a notification carries a version number
/// (or `jobs`) and nothing of the rows.
struct NotifyChannel: Sendable, Equatable {
    let name: String

    /// The payload of a job row's change; a LoRA change's is its version number.
    static let jobsPayload = "jobs"

    init(workspace: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in workspace.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        name = "lorafs_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
