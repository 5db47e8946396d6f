/* file — see file.h. */
#include "file.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "is a directory";
    if (S_ISFIFO(m)) return "is a FIFO, not a regular file";
    if (S_ISCHR(m)) return "is a character device, not a regular file";
    if (S_ISBLK(m)) return "is a block device, not a regular file";
    if (S_ISSOCK(m)) return "is a socket, not a regular file";
    return "is not a regular file";
}

int fc_open_regular(const char *path, struct stat *st_out, fc_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == EISDIR) return fc_errf(err, FC_EINPUT, "%s: is a directory", path);
        return fc_errf(err, errno == ENOENT || errno == EACCES || errno == ENOTDIR || errno == ENXIO ? FC_EINPUT : FC_EFAIL,
                       "%s: cannot open: %s", path, errno == ENXIO ? "is a FIFO or socket with no writer" : strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fc_errf(err, FC_EFAIL, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fc_errf(err, FC_EINPUT, "%s: %s", path, kind_of(st.st_mode));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        return fc_errf(err, FC_EFAIL, "%s: fcntl: %s", path, strerror(e));
    }
    if (st_out) *st_out = st;
    return fd;
}

int fc_read_file(const char *path, size_t max, char **out, size_t *len, fc_err *err) {
    *out = NULL;
    *len = 0;
    struct stat st;
    int fd = fc_open_regular(path, &st, err);
    if (fd < 0) return -1;
    if ((uint64_t)st.st_size > max) {
        char a[32], b[32];
        close(fd);
        return fc_errf(err, FC_EINPUT, "%s: %s is larger than the limit of %s", path,
                       fmt_bytes(a, sizeof a, (uint64_t)st.st_size), fmt_bytes(b, sizeof b, max));
    }
    /* The size may change while we read (a file being written): read up to
     * max + 1 bytes to notice growth past the limit. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    if (cap < 4096) cap = 4096;
    if (cap > max + 1) cap = max + 1;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return fc_errf(err, FC_EFAIL, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) break;
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return fc_errf(err, FC_EFAIL, "%s: out of memory", path);
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return fc_errf(err, FC_EFAIL, "%s: read error: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        char b[32];
        free(buf);
        return fc_errf(err, FC_EINPUT, "%s: larger than the limit of %s", path, fmt_bytes(b, sizeof b, max));
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int fc_write_file_atomic(const char *path, const void *data, size_t len, fc_err *err) {
    /* What is at path now: a regular file keeps its permissions and is replaced; a symbolic
     * link is written through (its target is replaced, the link stays); anything else (a
     * device, a FIFO, a folder) is refused rather than renamed over. */
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) return fc_errf(err, FC_EINPUT, "%s: %s; not written", path, kind_of(st.st_mode));
    char *target = NULL;
    struct stat lst;
    const bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (link && !exists) /* a dangling link: replacing it would not write where it points */
        return fc_errf(err, FC_EINPUT, "%s: a symbolic link to a file that does not exist; not written", path);
    if (link) {
        target = realpath(path, NULL);
        if (!target) return fc_errf(err, FC_EFAIL, "%s: cannot resolve the link: %s", path, strerror(errno));
    }
    const char *dest = target ? target : path;
    size_t pl = strlen(dest);
    char *tmp = malloc(pl + 16);
    if (!tmp) {
        free(target);
        return fc_errf(err, FC_EFAIL, "out of memory");
    }
    snprintf(tmp, pl + 16, "%s.tmp-XXXXXX", dest);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        fc_errf(err, e == EACCES || e == ENOENT || e == EROFS ? FC_EINPUT : FC_EFAIL, "%s%s%s: cannot write: %s", path,
                target ? ", a link to " : "", target ? target : "", strerror(e));
        free(target);
        return -1;
    }
    const char *p = data;
    size_t left = len;
    int e = 0;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) { e = errno; break; }
        p += w;
        left -= (size_t)w;
    }
    if (!e) {
        /* mkstemp makes the file 0600: give it the old file's permissions, or what a
         * plain fopen would. */
        mode_t mode = exists ? st.st_mode & 0777 : 0;
        if (!exists) {
            mode_t um = umask(0);
            umask(um);
            mode = 0666 & ~um;
        }
        (void)fchmod(fd, mode);
    }
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, dest) != 0) e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        free(target);
        return fc_errf(err, FC_EFAIL, "%s: cannot write: %s", path, strerror(e));
    }
    free(tmp);
    free(target);
    return 0;
}
