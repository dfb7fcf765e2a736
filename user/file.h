/* Reading a small file whole, or not at all. */
#ifndef BW_FILE_H
#define BW_FILE_H

#include <stddef.h>

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

#endif
