#ifndef LORAFS_CPLATFORM_SHIM_H
#define LORAFS_CPLATFORM_SHIM_H
// What Swift's Glibc module lacks: <malloc.h> (not part of the module at all),
// GNU-only spawn flags, function-like macros (W*), and the variadic syscall().
#include <malloc.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/// `mallopt` from <malloc.h>: 1 on success, 0 on failure.
static inline int lorafs_mallopt(int param, int value) { return mallopt(param, value); }
/// M_MMAP_THRESHOLD: allocations at least this large are mmap'ed (and unmapped when freed).
static inline int lorafs_m_mmap_threshold(void) { return M_MMAP_THRESHOLD; }
/// M_ARENA_MAX: the most malloc arenas glibc creates.
static inline int lorafs_m_arena_max(void) { return M_ARENA_MAX; }
/// M_TRIM_THRESHOLD: free memory at the top of a heap kept before it is returned.
static inline int lorafs_m_trim_threshold(void) { return M_TRIM_THRESHOLD; }

/// POSIX_SPAWN_SETSID (glibc >= 2.26) is defined only under _GNU_SOURCE, which
/// the Glibc module may have been built without; the value is fixed ABI.
static inline short lorafs_posix_spawn_setsid(void) {
#ifdef POSIX_SPAWN_SETSID
    return POSIX_SPAWN_SETSID;
#else
    return 0x80;
#endif
}

/// The calling thread's kernel id (`gettid`, through syscall() for older glibc).
static inline pid_t lorafs_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/// The wait-status macros of <sys/wait.h>.
static inline int lorafs_wifexited(int status) { return WIFEXITED(status); }
static inline int lorafs_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int lorafs_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int lorafs_wtermsig(int status) { return WTERMSIG(status); }
#endif
