/* The forensic log's files: which names are the log, their order along the
 * chain, the last whole line (where a writer continues), the anchor's two
 * formats and whether a daemon holds the folder.  Checking the chain is
 * logverify.c; searching it loghistory.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "logchain.h"
#include "logfile.h"
#include "loglines.h"
#include "logread.h"
#include "sbuf.h"

enum log_name log_name_kind(const char *n)
{
	size_t i;

	if (!strcmp(n, LOG_LIVE))
		return LOG_NAME_LIVE;
	if (!strncmp(n, "bindwatch-", 10)) {
		for (i = 10; i < 30; i++)
			if (n[i] < '0' || n[i] > '9')
				return LOG_NAME_OTHER;
		return strcmp(n + 30, ".log.gz") ? LOG_NAME_OTHER : LOG_NAME_ROTATED;
	}
	if (!strncmp(n, LOG_LIVE ".", sizeof(LOG_LIVE))) {
		n += sizeof(LOG_LIVE);
		for (i = 0; n[i] >= '0' && n[i] <= '9' && i < 9; i++)
			;
		return i && (!n[i] || !strcmp(n + i, ".gz")) ? LOG_NAME_LOGROTATE
							      : LOG_NAME_OTHER;
	}
	return LOG_NAME_OTHER;
}

static __u64 first_seq_of(const char *path)
{
	struct lreader *r = malloc(sizeof(*r));
	struct sbuf sb;
	__u64 seq = ~0ull;
	const char *p, *why;
	int flags;

	if (!r)
		return seq;
	sbuf_init(&sb);
	if (!lreader__open(r, path)) {
		if (lreader__next(r, &sb, &flags, &why) == 1 && sb.buf &&
		    (p = strstr(sb.buf, ",\"seq\":")))
			seq = strtoull(p + 7, NULL, 10);
		lreader__close(r);
	}
	sbuf_free(&sb);
	free(r);
	return seq;
}

int log_files_list(const char *dir, struct log_files *out)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	memset(out, 0, sizeof(*out));
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char **np;
		__u64 *ns;

		if (log_name_kind(e->d_name) == LOG_NAME_OTHER)
			continue;
		np = realloc(out->path, (out->n + 1) * sizeof(*np));
		if (np)
			out->path = np;
		ns = realloc(out->first_seq, (out->n + 1) * sizeof(*ns));
		if (ns)
			out->first_seq = ns;
		if (!np || !ns || !(out->path[out->n] = malloc(strlen(dir) + strlen(e->d_name) + 2))) {
			closedir(d);
			log_files_free(out);
			return -ENOMEM;
		}
		sprintf(out->path[out->n], "%s/%s", dir, e->d_name);
		out->first_seq[out->n] = first_seq_of(out->path[out->n]);
		out->n++;
	}
	closedir(d);
	/* chain order: by first sequence number (insertion sort: few files) */
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i; j > 0 && out->first_seq[j] < out->first_seq[j - 1]; j--) {
			__u64 s = out->first_seq[j];
			char *p = out->path[j];

			out->first_seq[j] = out->first_seq[j - 1];
			out->path[j] = out->path[j - 1];
			out->first_seq[j - 1] = s;
			out->path[j - 1] = p;
		}
	return 0;
}

void log_files_free(struct log_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->path[i]);
	free(f->path);
	free(f->first_seq);
	memset(f, 0, sizeof(*f));
}

int log_last_line(const char *path, char **line)
{
	struct lreader *r = malloc(sizeof(*r));
	struct sbuf sb;
	const char *why;
	int flags, err, n;

	*line = NULL;
	if (!r)
		return -ENOMEM;
	err = lreader__open(r, path);
	if (err) {
		free(r);
		return err;
	}
	sbuf_init(&sb);
	while ((n = lreader__next(r, &sb, &flags, &why)) == 1) {
		if (flags)	/* only whole, clean lines can continue a chain */
			continue;
		free(*line);
		*line = strdup(sb.buf ? sb.buf : "");
	}
	sbuf_free(&sb);
	lreader__close(r);
	free(r);
	return n < 0 ? n : 0;
}

int log_anchor_parse(const char *s, struct log_anchor *a)
{
	const char *colon = strchr(s, ':');
	char *end;

	memset(a, 0, sizeof(*a));
	if (!colon || colon == s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	a->seq = strtoull(s, &end, 10);
	if (end != colon || !a->seq || strlen(colon + 1) != 2 * CHAIN_HASH_LEN)
		return -EINVAL;
	return hex_decode(colon + 1, a->hash, CHAIN_HASH_LEN);
}

int log_anchor_parse_state(const char *line, struct log_anchor *a)
{
	unsigned long long seq, first, lost = 0;
	char hex[2 * CHAIN_HASH_LEN + 1];
	int stopped = 0;

	memset(a, 0, sizeof(*a));
	if (sscanf(line, "seq=%llu hash=%64s first=%llu stop=%d lost=%llu", &seq, hex, &first,
		   &stopped, &lost) < 3 ||
	    strlen(hex) != 2 * CHAIN_HASH_LEN || hex_decode(hex, a->hash, CHAIN_HASH_LEN))
		return -EINVAL;
	a->seq = seq;
	a->first = first;
	a->stopped = stopped == 1;
	a->lost = lost;
	return 0;
}

int log_dir_locked(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_SH | LOCK_NB))
		ret = errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return ret;
}
