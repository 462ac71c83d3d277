import LoRAFSCore
import Synchronization

/// The listing of each open directory, taken at its first `readdir` and served
/// from there chunk by chunk (libfuse's offset mode).
///
/// Offset mode is what makes READDIRPLUS worth anything in the high-level API:
/// without offsets libfuse buffers the names and replies with node ID 0, so the
/// kernel instantiates no entry and `ls -l` sends one LOOKUP per name (99,249
/// for 100,000 LoRAs). With offsets libfuse looks each name up as it fills the
/// reply and the kernel keeps the entry and its attributes.
final class DirectoryListings: Sendable {
    private struct State {
        var next: UInt64 = 1
        var open: [UInt64: [DirectoryEntry]] = [:]
    }

    private let state = Mutex(State())

    /// A handle for a directory just opened (its listing is taken later).
    func open() -> UInt64 {
        state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
    }

    /// The listing of handle `handle`: taken by `list` when the reader starts over
    /// (offset 0, also after `rewinddir`), the same snapshot for the chunks after it.
    func entries(_ handle: UInt64, fromStart: Bool, list: () throws(FSError) -> [DirectoryEntry]) throws(FSError) -> [DirectoryEntry] {
        if !fromStart, let taken = state.withLock({ $0.open[handle] }) { return taken }
        let entries = try list()
        state.withLock { $0.open[handle] = entries }
        return entries
    }

    func release(_ handle: UInt64) {
        _ = state.withLock { $0.open.removeValue(forKey: handle) }
    }
}
