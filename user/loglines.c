/* The log's line reader (contract in loglines.h): one place decides what a
 * line is, so verify, history and the chain listing agree on NUL bytes, torn
 * tails and overlong lines. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "loglines.h"
#include "sbuf.h"

/* Open a log file for reading: a regular file, never through a link. */
int lreader__open(struct lreader *r, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), err;

	memset(r, 0, offsetof(struct lreader, buf));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	r->gz = gzdopen(fd, "rb");
	if (!r->gz) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

void lreader__close(struct lreader *r)
{
	if (r->gz)
		gzclose(r->gz);
	r->gz = NULL;
}

/* Why a file could not be opened, for "FILE: cannot open: why". */
const char *log_open_error(int err)
{
	return err == -ELOOP ? "a symbolic link (refused)" :
	       err == -EINVAL ? "not a regular file" : strerror(-err);
}

/*
 * The next line (without its newline) into sb, flags set.  1: a line,
 * 0: end of file, -EIO: the file cannot be read on (a corrupt or cut gzip
 * stream); *why then says so.
 */
int lreader__next(struct lreader *r, struct sbuf *sb, int *flags, const char **why)
{
	size_t total = 0;

	sbuf_reset(sb);
	*flags = 0;
	for (;;) {
		const char *start, *nl;
		size_t take;

		if (r->pos == r->len) {
			int n, errnum = Z_OK;

			if (r->eof)
				break;
			n = gzread(r->gz, r->buf, sizeof(r->buf));
			if (n <= 0) {
				*why = gzerror(r->gz, &errnum);
				if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END))
					return -EIO;
				r->eof = 1;
				break;
			}
			r->pos = 0;
			r->len = (size_t)n;
		}
		start = r->buf + r->pos;
		nl = memchr(start, '\n', r->len - r->pos);
		take = nl ? (size_t)(nl - start) : r->len - r->pos;
		if (memchr(start, 0, take))
			*flags |= LINE_NUL;
		if (total + take > LOG_LINE_MAX)
			*flags |= LINE_LONG;
		else
			sbuf_printf(sb, "%.*s", (int)take, start);	/* a NUL is flagged */
		total += take;
		r->pos += take + (nl ? 1 : 0);
		if (nl)
			return 1;
	}
	if (!total)
		return 0;
	*flags |= LINE_TORN;
	return 1;
}
