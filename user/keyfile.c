#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "keyfile.h"

int key_file_read(const char *path, unsigned char *key, size_t *len)
{
	size_t room = *len < KEY_FILE_MAX ? *len : KEY_FILE_MAX, n = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	/* a secret others can read is no secret; one they can write is not ours */
	if (st.st_mode & 006) {
		err = -EPERM;
		goto out;
	}
	/* the whole file: read one byte past the room to see a longer key */
	for (;;) {
		unsigned char extra;
		ssize_t r = n < room ? read(fd, key + n, room - n) : read(fd, &extra, 1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		if (n == room) {
			err = -EFBIG;
			goto out;
		}
		n += (size_t)r;
	}
	if (!n) {
		err = -ENODATA;
		goto out;
	}
	*len = n;
out:
	close(fd);
	if (err)
		memset(key, 0, room);
	return err;
}

const char *key_file_error(int err)
{
	switch (err) {
	case -EISDIR:
		return "it is a directory, not a key file";
	case -EINVAL:
		return "not a regular file";
	case -EPERM:
		return "readable or writable by others (chmod 0600 or 0640)";
	case -EFBIG:
		return "longer than 1024 bytes, the longest key accepted (it is not cut)";
	case -ENODATA:
		return "the file is empty";
	default:
		return strerror(-err);
	}
}
