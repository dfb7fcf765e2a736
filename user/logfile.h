/* The forensic log writer: sealed NDJSON records appended to DIR/bindwatch.log,
 * flushed and fdatasync'ed on a bounded window, rotated by size into gzip
 * files, kept by count. */
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

/* Open (creating DIR if needed) and continue the chain found there. 0 or -errno. */
int logw__open(const struct logw_opts *o, struct logw **out);
/*
 * Seal and buffer one JSON object.  Write errors (a full disk) do not fail
 * the call: the records are counted as lost, the file is cut back to its
 * last whole record, and a "gap" record says so once writing works again.
 * Returns 0, or -errno for what cannot be recovered from.
 */
int logw__append(struct logw *w, const char *json, size_t len);
/* The flush policy; final = 1 flushes everything. 0 or -errno. */
int logw__tick(struct logw *w, int final);
/* Close and open DIR/bindwatch.log again (after logrotate moved it). */
int logw__reopen(struct logw *w);
__u64 logw__lost(const struct logw *w);
/* Records appended since logw__open() (bindwatch_log_records_total). */
__u64 logw__records(const struct logw *w);
void logw__close(struct logw *w);	/* flushes; accepts NULL */

/* Name of the live file in dir: DIR/bindwatch.log. */
#define LOG_LIVE "bindwatch.log"

#endif
