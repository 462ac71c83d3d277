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

/// UTIME_NOW / UTIME_OMIT are macros Swift does not import.
static inline long lorafs_utime_now(void) { return UTIME_NOW; }
static inline long lorafs_utime_omit(void) { return UTIME_OMIT; }
/// RENAME_* flags (from <linux/fs.h>), missing from Swift's Glibc module.
static inline unsigned int lorafs_rename_noreplace(void) { return 1u << 0; }
static inline unsigned int lorafs_rename_exchange(void) { return 1u << 1; }
#endif
