/* The log writer's state, shared by its three files and nobody else:
 * logfile.c (sealing, buffering, flushing, gaps: the writer),
 * logfile_dir.c (the locked folder, the live file, the chain resumed at
 * open, the anchor) and logfile_rotate.c (gzip rotation, retention).
 * Callers outside these use logfile.h. */
#ifndef BW_LOGFILE_INTERNAL_H
#define BW_LOGFILE_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "logchain.h"
#include "logfile.h"
#include "sbuf.h"

#define LOG_MODE 0640	/* every file the writer makes, whatever the umask */

struct logw {
	struct logw_opts o;
	struct chain chain;
	struct chain durable;	/* the chain as of the last record on disk */
	struct sbuf buf;	/* sealed records not yet written */
	unsigned int nbuf;
	int dirfd;		/* DIR, locked; every file is opened relative to it */
	int fd;			/* the live file */
	int anchor_fd;		/* DIR/bindwatch.anchor */
	off_t size;		/* of the live file, whole records only */
	__u64 last_flush_ns;
	__u64 lost, lost_reported;
	__u64 appended;		/* records sealed by logw__append() since open */
	const char *gap_reason;	/* why lost - lost_reported records are lost */
	__u64 last_try_ns;	/* while failing: the last attempt to write */
	__u64 first_kept;	/* the oldest record retention kept */
	__u64 anchor_sent_seq, anchor_sent_ns;
	int failing;
	int stopping;		/* logw__close: the anchor says the stop was clean */
	int use_syslog;
	int started;
	char path[1024];
};

/* CLOCK_MONOTONIC in ns (flush windows, retry and anchor pacing). */
__u64 logw_mono_ns(void);
/* The wall clock as RFC 3339 UTC with microseconds, for records' "ts". */
void logw_now_rfc3339(char *out, size_t n);

/* Seal json (one line, else -EINVAL) into w->buf, whole or not at all:
 * 0, -EINVAL, -ENOMEM or -EIO. */
int logw__seal(struct logw *w, const char *json, size_t len);
/* Seal the log_start record every file begins with (chain_prev). */
int logw__write_start(struct logw *w);
/* Write w->buf whole and fdatasync; a write error is counted as lost
 * records (w->failing), -EIO only when the file could not be cut back. */
int logw__flush(struct logw *w, int final);
/* Rewrite the anchor file in place (and to syslog, paced) with the head of
 * what is on disk; final also marks a clean stop when w->stopping. */
void logw__write_anchor(struct logw *w, int final);
/* Open DIR/bindwatch.log into w->fd and w->size (refusing links, files not
 * ours, other hard links); on failure both are untouched.  0 or -errno. */
int logw__open_live(struct logw *w);
/* w->first_kept: the oldest record still in DIR, for the anchor. */
void logw__find_first_kept(struct logw *w);
/* Flush, gzip the live file into a rotated name, start a new live file,
 * apply retention.  0, or -errno when the writer cannot go on. */
int logw__rotate(struct logw *w);

#endif
