/* The forensic log writer: sealed NDJSON records appended to DIR/bindwatch.log,
 * flushed and fdatasync'ed on a bounded window, rotated by size into gzip
 * files, kept by count.  The directory is locked (one daemon per log), and
 * nothing in it is trusted: no file is opened through a link, every file is
 * 0640, and the chain's head is anchored outside the records. */
#ifndef BW_LOGFILE_H
#define BW_LOGFILE_H

#include <stddef.h>
#include <linux/types.h>

struct logw_opts {
	const char *dir;
	unsigned int flush_ms;		/* at most this long between fdatasyncs */
	unsigned int flush_records;	/* and at most this many records */
	size_t max_size;		/* rotate when the live file passes this */
	unsigned int max_files;		/* rotated .gz files kept */
	const unsigned char *key;	/* HMAC key, or NULL */
	size_t keylen;
};

struct logw;

/*
 * Open (creating DIR 0750 if needed) and continue the chain found there.
 * Refuses, with the reason on stderr: a DIR writable by group or others or
 * not owned by us (-EPERM), a DIR another daemon holds (-EBUSY), a live file
 * that is a link (-ELOOP), not a regular file (-EINVAL), not ours or with
 * other hard links (-EPERM).  A torn last line is cut back to the last whole
 * record, and log_start + a gap record say what was cut.  0 or -errno.
 */
int logw__open(const struct logw_opts *o, struct logw **out);
/*
 * Seal and buffer one JSON object (one line: no NUL, no newline, else
 * -EINVAL).  A record is buffered whole or not at all (-ENOMEM).  Write
 * errors (a full disk) do not fail the call: the records are counted as
 * lost, the file is cut back to its last whole record, and a "gap" record
 * says so once writing works again.  Returns 0, or -errno for what cannot
 * be recovered from (the file could not be cut back, rotation failed).
 */
int logw__append(struct logw *w, const char *json, size_t len);
/* The flush policy; final = 1 flushes everything. 0 or -errno as above. */
int logw__tick(struct logw *w, int final);
/* Close and open DIR/bindwatch.log again (after logrotate moved it). */
int logw__reopen(struct logw *w);
__u64 logw__lost(const struct logw *w);
/* Records appended since logw__open() (bindwatch_log_records_total). */
__u64 logw__records(const struct logw *w);
/* Writes the clean-stop record (log_stop), flushes, unlocks; accepts NULL. */
void logw__close(struct logw *w);

/* Whether writers send their anchor to syslog (when /dev/log is a socket);
 * on by default, off in tests and fuzzing.  Process-wide. */
void logw_syslog_anchor(int on);

/* Name of the live file in dir: DIR/bindwatch.log. */
#define LOG_LIVE "bindwatch.log"
/* A torn tail longer than this at start is refused, not cut. */
#define LOG_TAIL_SCAN (4u << 20)

#endif
