/* Reading the forensic log: its files in chain order, verify, history. */
#ifndef BW_LOGREAD_H
#define BW_LOGREAD_H

#include <stddef.h>
#include <linux/types.h>
#include "logchain.h"

struct log_files {
	char **path;
	__u64 *first_seq;
	size_t n;
};

/* What a file name in the log dir is; only these names are the log. */
enum log_name {
	LOG_NAME_OTHER = 0,	/* not ours: never read, never counted, never removed */
	LOG_NAME_LIVE,		/* bindwatch.log */
	LOG_NAME_ROTATED,	/* bindwatch-<20 digits>.log.gz, written by the daemon */
	LOG_NAME_LOGROTATE,	/* bindwatch.log.<digits>[.gz], logrotate's moves */
};
enum log_name log_name_kind(const char *name);

/*
 * The log's files in DIR (the live one, our rotated .gz files, and
 * logrotate's bindwatch.log.N[.gz]; no other name), ordered by the sequence
 * number of their first record.  0 or -errno.
 */
int log_files_list(const char *dir, struct log_files *out);
void log_files_free(struct log_files *f);

/* The last line of a (possibly gzip) file, malloc'ed into *line (NULL if
 * empty).  Symbolic links are refused.  0 or -errno. */
int log_last_line(const char *path, char **line);

/*
 * An anchor: a (seq, hash) of the chain's head kept outside the records.
 * The daemon writes one into DIR/bindwatch.anchor (and to syslog) at each
 * flush; "first" is the oldest record retention kept (0: unknown).
 */
struct log_anchor {
	__u64 seq;
	__u64 first;
	unsigned char hash[CHAIN_HASH_LEN];
	int stopped;		/* state file: the daemon stopped cleanly at seq */
	__u64 lost;		/* state file: records lost with no gap record
				 * (a full disk at stop: not even that fitted) */
};
#define LOG_ANCHOR_FILE "bindwatch.anchor"
/* "SEQ:HASH" (as syslog shows it) into a.  0 or -EINVAL. */
int log_anchor_parse(const char *s, struct log_anchor *a);
/* The state file's one line; 0 or -EINVAL. */
int log_anchor_parse_state(const char *line, struct log_anchor *a);

/* 1 when a daemon holds DIR's lock (it is writing), 0 when none does, or -errno. */
int log_dir_locked(const char *dir);

/*
 * Check every record of every file; on the first that does not fit, print
 * "FILE:LINE: why" to stderr and return 1.  Then check the end: against
 * anchor (NULL: DIR/bindwatch.anchor when present), and that a log no daemon
 * is writing ends with a clean stop record.  key may be NULL.  0 when
 * everything holds, 1 otherwise.
 */
int log_verify_anchored(const char *dir, const unsigned char *key, size_t keylen,
			const struct log_anchor *anchor, int quiet);
/* The same against the state file's anchor only. */
int log_verify(const char *dir, const unsigned char *key, size_t keylen, int quiet);

/* bindwatch history: records about port between since and until (RFC 3339
 * prefixes, NULL for open), as NDJSON or text.  0, or 1 when a file could
 * not be read whole. */
int log_history(const char *dir, unsigned short port, const char *since, const char *until,
		int json);

#endif
