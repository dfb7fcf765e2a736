/* file__read_whole(): a small file whole, or a refusal, never a cut. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "file.h"
#include "proc.h"
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

	/* file__read_small: the start of a file, NUL-terminated, or -errno */
	{
		char small[4];

		CHECK(put(f, "123456", 6) == 0, "write");
		CHECK(file__read_small(f, small, sizeof(small)) == 3 && !strcmp(small, "123"),
		      "small read: '%s'", small);
		CHECK(file__read_small("/nonexistent/bw", small, sizeof(small)) == -ENOENT &&
			      !small[0], "missing file is not -ENOENT with an empty buffer");
		CHECK(file__read_small(sub, small, sizeof(small)) == -EISDIR, "directory");
	}

	{
		char cmd[256];
		ssize_t n = proc_read_cmdline((__u32)getpid(), cmd, sizeof(cmd));

		CHECK(n > 0 && strstr(cmd, "test_file") != NULL, "own cmdline: %zd '%s'", n, cmd);
		CHECK(proc_read_cmdline(0x7ffffffe, cmd, sizeof(cmd)) == -ENOENT, "no such pid");
	}

	unlink(f);
	unlink(fifo);
	unlink(link_);
	rmdir(sub);
	rmdir(dir);
	return tap_done("test_file");
}
