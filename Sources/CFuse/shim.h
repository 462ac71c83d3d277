#ifndef LORAFS_CFUSE_SHIM_H
#define LORAFS_CFUSE_SHIM_H
// Version 312: fuse_new, fuse_loop_mt and fuse_loop_cfg_* are plain, callable
// symbols at this version (see ../shared/FUSE-NOTES.md); fuse_main stays a macro.
#define FUSE_USE_VERSION 312
#if !defined(__LP64__)
#define _FILE_OFFSET_BITS 64
#endif
#include <fuse.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>

/// RENAME_* flags (from <linux/fs.h>), missing from Swift's Glibc module.
static inline unsigned int lorafs_rename_noreplace(void) { return 1u << 0; }
static inline unsigned int lorafs_rename_exchange(void) { return 1u << 1; }

/// `fuse_new` is a macro over versioned symbols: one typed entry point.
static inline struct fuse *lorafs_fuse_new(struct fuse_args *args, const struct fuse_operations *ops, void *data) {
    return fuse_new(args, ops, sizeof(struct fuse_operations), data);
}

/// Runs the multi-threaded loop with up to `max_threads` workers, so a long
/// flush (an upload finishing) never stalls `ls` behind it.
static inline int lorafs_fuse_loop_mt(struct fuse *f, unsigned int max_threads, unsigned int max_idle) {
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    if (cfg == NULL) return -1;
    fuse_loop_cfg_set_max_threads(cfg, max_threads);
    fuse_loop_cfg_set_idle_threads(cfg, max_idle);
    fuse_loop_cfg_set_clone_fd(cfg, 0);
    int rc = fuse_loop_mt(f, cfg);
    fuse_loop_cfg_destroy(cfg);
    return rc;
}

/// The capability bit for O_TRUNC handled by `open` (a macro in fuse_common.h).
static inline unsigned int lorafs_cap_atomic_o_trunc(void) { return FUSE_CAP_ATOMIC_O_TRUNC; }
static inline unsigned int lorafs_cap_readdirplus_auto(void) { return FUSE_CAP_READDIRPLUS_AUTO; }
static inline unsigned int lorafs_fallocate_keep_size(void) { return 0x01; /* FALLOC_FL_KEEP_SIZE */ }
#endif

