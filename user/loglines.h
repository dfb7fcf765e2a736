/* Reading the forensic log line by line, gzip or plain, seeing every byte:
 * gzgets and the string functions stop at a NUL, and a NUL (or a torn or
 * overlong line) must not hide what follows it.  Used by every reader of
 * the log (logread.c, logverify.c, loghistory.c). */
#ifndef BW_LOGLINES_H
#define BW_LOGLINES_H

#include <stddef.h>
#include <zlib.h>

struct sbuf;

#define LOG_LINE_MAX (1 << 20)

/* A line reader over a gzip or plain file that sees every byte: gzgets and
 * string functions stop at a NUL, and a NUL must not hide what follows. */
struct lreader {
	gzFile gz;
	size_t pos, len;
	int eof;
	char buf[65536];
};

enum {
	LINE_NUL = 1,	/* holds a NUL byte */
	LINE_TORN = 2,	/* the file ends without its newline */
	LINE_LONG = 4,	/* longer than LOG_LINE_MAX (kept: the first part) */
};

/* Open path for reading: a regular file, never through a link (-ELOOP),
 * else -EINVAL; 0 or -errno.  r is large (64 KiB): callers malloc it. */
int lreader__open(struct lreader *r, const char *path);
/*
 * The next line (without its newline) into sb, *flags the LINE_* that apply.
 * 1: a line, 0: end of file, -EIO: the file cannot be read on (a corrupt or
 * cut gzip stream); *why then says so.
 */
int lreader__next(struct lreader *r, struct sbuf *sb, int *flags, const char **why);
/* Close; accepts a reader that never opened or is closed. */
void lreader__close(struct lreader *r);
/* Why lreader__open() failed, for "FILE: cannot open: why". */
const char *log_open_error(int err);

#endif
