import CPlatform

/// glibc's allocator settings (`<malloc.h>`).
public enum Malloc {
    /// A `mallopt` parameter.
    public enum Option: Sendable {
        /// `M_MMAP_THRESHOLD`: blocks at least this many bytes are mmap'ed and
        /// returned to the system when freed. Setting it also stops glibc from
        /// raising it dynamically.
        case mmapThreshold
        /// `M_ARENA_MAX`: the most arenas glibc creates for its threads.
        case arenaMax
        /// `M_TRIM_THRESHOLD`: free bytes at the top of a heap kept for the next
        /// allocations instead of being returned to the system.
        case trimThreshold

        var rawValue: Int32 {
            switch self {
            case .mmapThreshold: lorafs_m_mmap_threshold()
            case .arenaMax: lorafs_m_arena_max()
            case .trimThreshold: lorafs_m_trim_threshold()
            }
        }
    }

    /// Sets an allocator parameter; false when glibc refuses the value
    /// (`mallopt` does not set `errno`, so there is no error to throw).
    ///
    /// The corresponding C function is `mallopt`.
    @discardableResult
    public static func set(_ option: Option, to value: Int32) -> Bool {
        lorafs_mallopt(option.rawValue, value) == 1
    }
}

/// The allocator tuning of the lorafs daemon.
public enum MemoryTuning {
    /// 8 MiB part buffers are allocated and freed on many threads. A fixed mmap
    /// threshold returns each to the system when freed, instead of letting
    /// glibc's per-thread arenas keep them (RSS grew by ~50 MiB per 1 GiB copy);
    /// capping the arenas bounds what the remaining small blocks can pin.
    public static func apply() {
        Malloc.set(.mmapThreshold, to: 1 << 20)
        Malloc.set(.arenaMax, to: 4)
        // libfuse allocates a reply buffer per read (128 KiB) and frees it: with glibc's
        // 128 KiB trim threshold, fixed by the mmap threshold above, every free gave the
        // pages back and every read faulted them in again (32 faults and zeroed pages
        // per request, 3-4 % of the daemon's CPU on a read).
        Malloc.set(.trimThreshold, to: 8 << 20)
    }
}
