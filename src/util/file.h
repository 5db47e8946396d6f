/* file — reading files that come from outside, safely.
 *
 * Every file fitchat reads on a user's behalf (the model, modelconf.json, a
 * conversation for /load, a chat template) may be a FIFO, a device, a
 * directory or something huge. These helpers never block on opening (a FIFO
 * with no writer is refused, not waited on), accept only regular files, and
 * read at most a stated number of bytes, so that a wrong path gives one clear
 * line ("PATH: is a directory", "PATH: is a FIFO, not a regular file",
 * "PATH: 7.0 GiB is larger than the limit of 16 MiB") instead of a hang or an
 * unbounded allocation.
 *
 * No global state; errors through fc_err (FC_EINPUT for a path that is not a
 * readable regular file or too large, FC_EFAIL for I/O errors and memory).
 */
#ifndef FC_FILE_H
#define FC_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"

/* Opens path read-only without blocking (O_NONBLOCK, cleared again after the
 * checks), and accepts it only if it is a regular file. Returns the file
 * descriptor (close-on-exec) and fills *st if not NULL, or -1 with err. */
int fc_open_regular(const char *path, struct stat *st, fc_err *err);

/* Reads the whole regular file path into *out (malloc'd, NUL-terminated,
 * caller frees) and its length into *len. A file larger than max bytes is an
 * FC_EINPUT error naming the limit; nothing is read past it. */
int fc_read_file(const char *path, size_t max, char **out, size_t *len, fc_err *err);

/* Writes data to path atomically: a temporary file in the same folder,
 * flushed, then renamed over path, so that a full disk or a crash never
 * leaves a truncated file at path. An existing file keeps its permissions; a
 * symbolic link is written through (its target replaced, the link kept);
 * anything but a regular file at path (a device, a FIFO, a folder) is an
 * FC_EINPUT error and is left alone. Returns 0, or -1 with err (the
 * temporary file is removed). */
int fc_write_file_atomic(const char *path, const void *data, size_t len, fc_err *err);

#endif
