/* Reading a small file whole, or not at all. */
#ifndef BW_FILE_H
#define BW_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read the whole file at path into a malloc'd buffer with a NUL after the
 * data (*buf, the caller frees; *len without the NUL).  Only regular files:
 * a FIFO or device is refused (-EINVAL, a directory -EISDIR) without
 * blocking, since the open is O_NONBLOCK.  More than max bytes is -EFBIG,
 * never a cut; a file that grows while read is -EAGAIN (a torn copy).
 * oflags are added to the open (O_NOFOLLOW for paths others control).
 * 0 or -errno; *buf is NULL on error.
 */
int file__read_whole(const char *path, size_t max, int oflags, char **buf, size_t *len);

/*
 * The start of a kernel-made file (/proc, /sys): one read() of at most
 * len - 1 bytes into buf, NUL-terminated (buf is "" on error).  For files
 * whose useful part is known to fit; the caller sizes buf for it.  The
 * number of bytes read, or -errno.
 */
ssize_t file__read_small(const char *path, char *buf, size_t len);

#endif
