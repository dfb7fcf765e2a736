/* The HMAC key file of the sealed log: read whole, or refused with a reason. */
#ifndef BW_KEYFILE_H
#define BW_KEYFILE_H

#include <stddef.h>

/* The longest key accepted; a longer file is refused, never cut. */
#define KEY_FILE_MAX 1024

/*
 * Read all of path into key (room for *len bytes, at most KEY_FILE_MAX
 * used); *len gets the key's length.  0, or -errno: -EISDIR (a directory),
 * -EINVAL (not a regular file), -EPERM (readable or writable by others),
 * -EFBIG (longer than the room), -ENODATA (empty), or open/read errors.
 * key_file_error() says which in words.
 */
int key_file_read(const char *path, unsigned char *key, size_t *len);

/* A sentence for key_file_read()'s error, naming the limit and the fix. */
const char *key_file_error(int err);

#endif
