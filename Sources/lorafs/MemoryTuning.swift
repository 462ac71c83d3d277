/// glibc's `mallopt` (from `<malloc.h>`, which Swift's Glibc module does not
/// include): the C declaration is `int mallopt(int param, int value)`.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

enum MemoryTuning {
    /// 8 MiB part buffers are allocated and freed on many threads. A fixed mmap
    /// threshold returns each to the system when freed, instead of letting
    /// glibc's per-thread arenas keep them (RSS grew by ~50 MiB per 1 GiB copy).
    static func apply() {
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        _ = mallopt(-8 /* M_ARENA_MAX */, 4)
    }
}
