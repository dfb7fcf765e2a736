/* file__read_whole(): a small file whole, or a refusal, never a cut. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "file.h"
#include "tap.h"

static int put(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && write(fd, s, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int main(void)
{
	char dir[] = "/tmp/bw-filetest-XXXXXX", f[96], fifo[96], link_[96], sub[96];
	char *buf = (char *)1;
	size_t len = 7;
	int err;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return tap_done("test_file");
	}
	snprintf(f, sizeof(f), "%s/f", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(link_, sizeof(link_), "%s/link", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);

	CHECK(put(f, "abc\0def", 7) == 0, "write");
	err = file__read_whole(f, 7, 0, &buf, &len);
	CHECK(!err && len == 7 && !memcmp(buf, "abc\0def", 8), "exact size: %d %zu", err, len);
	free(buf);
	err = file__read_whole(f, 6, 0, &buf, &len);
	CHECK(err == -EFBIG && !buf && !len, "one byte over max not refused: %d", err);

	CHECK(put(f, "", 0) == 0, "truncate");
	err = file__read_whole(f, 7, 0, &buf, &len);
	CHECK(!err && len == 0 && buf && !buf[0], "empty file: %d", err);
	free(buf);

	/* a FIFO with no writer would block a plain open(): refused at once */
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
	err = file__read_whole(fifo, 7, 0, &buf, &len);
	CHECK(err == -EINVAL && !buf, "FIFO: %d", err);

	CHECK(mkdir(sub, 0700) == 0, "mkdir");
	err = file__read_whole(sub, 7, 0, &buf, &len);
	CHECK(err == -EISDIR && !buf, "directory: %d", err);

	CHECK(put(f, "x", 1) == 0 && symlink(f, link_) == 0, "symlink");
	err = file__read_whole(link_, 7, 0, &buf, &len);
	CHECK(!err && len == 1, "a link is followed without O_NOFOLLOW: %d", err);
	free(buf);
	err = file__read_whole(link_, 7, O_NOFOLLOW, &buf, &len);
	CHECK(err == -ELOOP && !buf, "O_NOFOLLOW: %d", err);

	err = file__read_whole("/nonexistent/bw", 7, 0, &buf, &len);
	CHECK(err == -ENOENT, "missing: %d", err);

	unlink(f);
	unlink(fifo);
	unlink(link_);
	rmdir(sub);
	rmdir(dir);
	return tap_done("test_file");
}
