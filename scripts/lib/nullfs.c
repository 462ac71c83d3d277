/* nullfs: the FUSE ceiling of scripts/bench.
 *
 * A libfuse 3 filesystem (the high-level API, as lorafs uses it) whose files
 * accept writes and keep nothing but their size: `dd` into it measures what
 * the kernel, /dev/fuse and libfuse cost on this machine, with no spool, hash
 * or S3 behind them. Not part of lorafs; built by scripts/bench with
 *   cc -O2 -o nullfs nullfs.c $(pkg-config --cflags --libs fuse3)
 * and run as `nullfs MOUNTPOINT` (foreground, multithreaded, as lorafs).
 */
#define FUSE_USE_VERSION 314
#include <fuse.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILES 64

static struct { char name[256]; off_t size; int used; } files[MAX_FILES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int find(const char *path) {
    for (int i = 0; i < MAX_FILES; i++)
        if (files[i].used && strcmp(files[i].name, path + 1) == 0) return i;
    return -1;
}

static void *nf_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
    (void)conn;
    cfg->attr_timeout = 1.0;
    cfg->entry_timeout = 1.0;
    return NULL;
}

static int nf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    (void)fi;
    memset(st, 0, sizeof *st);
    if (strcmp(path, "/") == 0) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
    }
    pthread_mutex_lock(&lock);
    int i = find(path);
    if (i >= 0) {
        st->st_mode = S_IFREG | 0644;
        st->st_nlink = 1;
        st->st_size = files[i].size;
    }
    pthread_mutex_unlock(&lock);
    return i >= 0 ? 0 : -ENOENT;
}

static int nf_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
    (void)path; (void)off; (void)fi; (void)flags;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_FILES; i++)
        if (files[i].used) fill(buf, files[i].name, NULL, 0, 0);
    pthread_mutex_unlock(&lock);
    return 0;
}

static int nf_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    (void)mode; (void)fi;
    if (strlen(path + 1) >= sizeof files[0].name || strchr(path + 1, '/')) return -EINVAL;
    pthread_mutex_lock(&lock);
    int i = find(path);
    for (int j = 0; i < 0 && j < MAX_FILES; j++)
        if (!files[j].used) {
            i = j;
            files[i].used = 1;
            strcpy(files[i].name, path + 1);
        }
    if (i >= 0) files[i].size = 0;
    pthread_mutex_unlock(&lock);
    return i >= 0 ? 0 : -ENOSPC;
}

static int nf_open(const char *path, struct fuse_file_info *fi) {
    (void)fi;
    pthread_mutex_lock(&lock);
    int i = find(path);
    pthread_mutex_unlock(&lock);
    return i >= 0 ? 0 : -ENOENT;
}

static int nf_write(const char *path, const char *data, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)data; (void)fi;
    pthread_mutex_lock(&lock);
    int i = find(path);
    if (i >= 0 && off + (off_t)size > files[i].size) files[i].size = off + (off_t)size;
    pthread_mutex_unlock(&lock);
    return i >= 0 ? (int)size : -ENOENT;
}

static int nf_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    (void)fi;
    pthread_mutex_lock(&lock);
    int i = find(path);
    if (i >= 0) files[i].size = size;
    pthread_mutex_unlock(&lock);
    return i >= 0 ? 0 : -ENOENT;
}

static int nf_unlink(const char *path) {
    pthread_mutex_lock(&lock);
    int i = find(path);
    if (i >= 0) files[i].used = 0;
    pthread_mutex_unlock(&lock);
    return i >= 0 ? 0 : -ENOENT;
}

static const struct fuse_operations ops = {
    .init = nf_init, .getattr = nf_getattr, .readdir = nf_readdir, .create = nf_create, .open = nf_open,
    .write = nf_write, .truncate = nf_truncate, .unlink = nf_unlink,
};

int main(int argc, char *argv[]) {
    if (argc != 2) {
        fprintf(stderr, "usage: nullfs MOUNTPOINT\n");
        return 64;
    }
    char *args[] = {argv[0], "-f", "-o", "fsname=nullfs", argv[1], NULL};
    return fuse_main(5, args, &ops, NULL);
}
