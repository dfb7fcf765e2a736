/* Reading the forensic log: its files in chain order, verify, history. */
#ifndef BW_LOGREAD_H
#define BW_LOGREAD_H

#include <stddef.h>
#include <linux/types.h>

struct log_files {
	char **path;
	__u64 *first_seq;
	size_t n;
};

/*
 * The log's files in DIR (the live one, our rotated .gz files, and
 * logrotate's bindwatch.log.N[.gz]), ordered by the sequence number of their
 * first record.  0 or -errno.
 */
int log_files_list(const char *dir, struct log_files *out);
void log_files_free(struct log_files *f);
int log_file_is_rotated(const char *path);

/* The last line of a (possibly gzip) file, malloc'ed into *line (NULL if empty). */
int log_last_line(const char *path, char **line);

/*
 * Check every record of every file; on the first that does not fit, print
 * "FILE:LINE: seq N: why" to stderr and return 1.  key may be NULL.
 */
int log_verify(const char *dir, const unsigned char *key, size_t keylen, int quiet);

/* bindwatch history: records about port between since and until (RFC 3339
 * prefixes, NULL for open), as NDJSON or text. */
int log_history(const char *dir, unsigned short port, const char *since, const char *until,
		int json);

#endif
