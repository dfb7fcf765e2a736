/* bindwatch log verify: every record of every file along the chain, then
 * the end against an anchor and the clean-stop record.  The first finding is
 * printed as FILE:LINE: why.  Apart from history (loghistory.c): this is the
 * forensic check and must stay small enough to audit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "logchain.h"
#include "logfile.h"
#include "loglines.h"
#include "logread.h"
#include "sbuf.h"

/* The state file's anchor, if there is a readable one. */
static int read_state_anchor(const char *dir, struct log_anchor *a)
{
	char path[4200], line[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, LOG_ANCHOR_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = (int)read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	line[n] = 0;
	return log_anchor_parse_state(line, a);
}

struct verify_state {
	struct chain c;
	__u64 records, first_seq;
	const struct log_anchor *anchor;
	int anchor_seen;	/* 1 match, -1 mismatch */
	char last_event[24];
};

static void event_of(const char *line, char *out, size_t n)
{
	const char *p = strstr(line, "\"event\":\"");
	size_t i = 0;

	out[0] = 0;
	if (!p)
		return;
	for (p += 9; *p && *p != '"' && i + 1 < n; p++)
		out[i++] = *p;
	out[i] = 0;
}

/* One file of the chain; 0 intact, 1 a finding (printed). */
static int verify_file(struct verify_state *v, const char *path, int first_file, int live,
		       int daemon_running)
{
	struct lreader *r = malloc(sizeof(*r));
	struct sbuf sb;
	const char *why = NULL;
	int lineno = 0, bad = 0, flags, n, err;

	if (!r)
		return 1;
	err = lreader__open(r, path);
	if (err) {
		fprintf(stderr, "%s: cannot open: %s\n", path, log_open_error(err));
		free(r);
		return 1;
	}
	sbuf_init(&sb);
	while (!bad && (n = lreader__next(r, &sb, &flags, &why)) == 1) {
		const char *l = sb.buf ? sb.buf : "";
		int rc;

		lineno++;
		if (flags & LINE_NUL) {
			fprintf(stderr, "%s:%d: binary data\n", path, lineno);
			bad = 1;
			break;
		}
		if (flags & LINE_LONG) {
			fprintf(stderr, "%s:%d: line longer than %d bytes\n", path, lineno,
				LOG_LINE_MAX);
			bad = 1;
			break;
		}
		if (flags & LINE_TORN) {
			/* a running daemon may be mid-write: the line is not there yet */
			if (live && daemon_running)
				break;
			fprintf(stderr, "%s:%d: the last line is cut (no newline): a torn write, "
				"or an edit; the daemon cuts it back at its next start\n",
				path, lineno);
			bad = 1;
			break;
		}
		if (lineno == 1 && !strstr(l, "\"event\":\"log_start\"")) {
			fprintf(stderr, "%s:%d: the file does not start with a log_start record\n",
				path, lineno);
			bad = 1;
			break;
		}
		rc = chain_check(&v->c, l, sb.len, first_file && lineno == 1);
		if (rc) {
			fprintf(stderr, "%s:%d: record %llu: %s\n", path, lineno,
				(unsigned long long)v->c.seq + 1,
				rc == -EBADMSG ? "hash does not match (altered, or a wrong key)" :
				rc == -ERANGE ? "sequence number out of order (records missing?)" :
						"not a sealed record");
			bad = 1;
			break;
		}
		if (!v->records++)
			v->first_seq = v->c.seq;
		event_of(l, v->last_event, sizeof(v->last_event));
		if (v->anchor && v->c.seq == v->anchor->seq)
			v->anchor_seen = memcmp(v->c.prev, v->anchor->hash, CHAIN_HASH_LEN) ? -1 : 1;
	}
	if (!bad && n < 0) {
		/* said here, about this file: not about the next one */
		fprintf(stderr, "%s: cannot read past line %d: %s\n", path, lineno,
			why ? why : "read error");
		bad = 1;
	}
	sbuf_free(&sb);
	lreader__close(r);
	free(r);
	return bad;
}

int log_verify(const char *dir, const unsigned char *key, size_t keylen, int quiet)
{
	return log_verify_anchored(dir, key, keylen, NULL, quiet);
}

int log_verify_anchored(const char *dir, const unsigned char *key, size_t keylen,
			const struct log_anchor *anchor, int quiet)
{
	struct verify_state v = { .c = { .key = key, .keylen = keylen } };
	struct log_anchor state;
	struct log_files files;
	const char *anchor_src = "--anchor";
	int err, bad = 0, stopped, running = log_dir_locked(dir);

	err = log_files_list(dir, &files);
	if (err) {
		fprintf(stderr, "bindwatch: error: failed to read log dir '%s': %s\n", dir,
			strerror(-err));
		return 1;
	}
	/* seq 0: the daemon never got a record onto the disk; nothing to anchor */
	if (!anchor && !read_state_anchor(dir, &state) && (state.seq || state.lost)) {
		anchor = &state;
		anchor_src = LOG_ANCHOR_FILE;
	}
	v.anchor = anchor;
	for (size_t i = 0; i < files.n && !bad; i++)
		bad = verify_file(&v, files.path[i], i == 0,
				  log_name_kind(strrchr(files.path[i], '/') + 1) == LOG_NAME_LIVE,
				  running == 1);
	if (bad)
		goto out;
	/* the chain holds; now its ends, which a chain cannot see by itself */
	if (anchor && anchor->seq > v.c.seq) {
		fprintf(stderr, "%s: %llu records missing from the end: the log ends at record %llu, "
			"the anchor (%s) names record %llu\n", dir,
			(unsigned long long)(anchor->seq - v.c.seq), (unsigned long long)v.c.seq,
			anchor_src, (unsigned long long)anchor->seq);
		bad = 1;
	} else if (anchor && v.anchor_seen < 0) {
		fprintf(stderr, "%s: record %llu does not match the anchor (%s): the log was "
			"rewritten from there on\n", dir, (unsigned long long)anchor->seq, anchor_src);
		bad = 1;
	} else if (anchor && !v.anchor_seen && anchor->seq) {
		fprintf(stderr, "%s: the anchor (%s) names record %llu, before the oldest record "
			"kept (%llu): it cannot be checked\n", dir, anchor_src,
			(unsigned long long)anchor->seq, (unsigned long long)v.first_seq);
		bad = 1;
	}
	if (!bad && anchor && anchor->first && v.first_seq > anchor->first) {
		fprintf(stderr, "%s: %llu records missing from the start: the oldest kept is record "
			"%llu, the anchor (%s) says %llu\n", dir,
			(unsigned long long)(v.first_seq - anchor->first),
			(unsigned long long)v.first_seq, anchor_src,
			(unsigned long long)anchor->first);
		bad = 1;
	}
	/* a clean stop: the record, or (the disk was full) the state file's word */
	stopped = !strcmp(v.last_event, "log_stop") ||
		  (anchor == &state && state.stopped && state.seq == v.c.seq);
	if (!bad && running != 1 && v.records && !stopped) {
		fprintf(stderr, "%s: the log ends at record %llu without a clean stop record and no "
			"daemon is writing it: the daemon died (crash, SIGKILL, power loss), or "
			"records were removed from the end\n", dir, (unsigned long long)v.c.seq);
		bad = 1;
	}
	if (!bad && !quiet && anchor == &state && state.lost && running != 1)
		printf("%s: %llu records after record %llu were lost to write errors (a full "
		       "disk?) with no room left for a gap record; the daemon counted them in %s\n",
		       dir, (unsigned long long)state.lost, (unsigned long long)state.seq,
		       LOG_ANCHOR_FILE);
	if (!bad && !quiet)
		printf("%s: %zu files, %llu records (%llu..%llu), chain intact%s%s\n", dir, files.n,
		       (unsigned long long)v.records, (unsigned long long)v.first_seq,
		       (unsigned long long)v.c.seq,
		       anchor ? ", anchor matches" : ", no anchor to check the end against",
		       running == 1 ? ", a daemon is writing it" :
		       v.records ? ", ends with a clean stop" : "");
out:
	log_files_free(&files);
	return bad;
}
