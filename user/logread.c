#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "logchain.h"
#include "logfile.h"
#include "logread.h"
#include "sbuf.h"

#define MAX_LINE_BYTES (1 << 20)

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
	LINE_LONG = 4,	/* longer than MAX_LINE_BYTES (kept: the first part) */
};

/* Open a log file for reading: a regular file, never through a link. */
static int lreader_open(struct lreader *r, const char *path)
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

static void lreader_close(struct lreader *r)
{
	if (r->gz)
		gzclose(r->gz);
	r->gz = NULL;
}

/* Why a file could not be opened, for "FILE: cannot open: why". */
static const char *open_error(int err)
{
	return err == -ELOOP ? "a symbolic link (refused)" :
	       err == -EINVAL ? "not a regular file" : strerror(-err);
}

/*
 * The next line (without its newline) into sb, flags set.  1: a line,
 * 0: end of file, -EIO: the file cannot be read on (a corrupt or cut gzip
 * stream); *why then says so.
 */
static int lreader_next(struct lreader *r, struct sbuf *sb, int *flags, const char **why)
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
		if (total + take > MAX_LINE_BYTES)
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
	if (!lreader_open(r, path)) {
		if (lreader_next(r, &sb, &flags, &why) == 1 && sb.buf &&
		    (p = strstr(sb.buf, ",\"seq\":")))
			seq = strtoull(p + 7, NULL, 10);
		lreader_close(r);
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
	err = lreader_open(r, path);
	if (err) {
		free(r);
		return err;
	}
	sbuf_init(&sb);
	while ((n = lreader_next(r, &sb, &flags, &why)) == 1) {
		if (flags)	/* only whole, clean lines can continue a chain */
			continue;
		free(*line);
		*line = strdup(sb.buf ? sb.buf : "");
	}
	sbuf_free(&sb);
	lreader_close(r);
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
	err = lreader_open(r, path);
	if (err) {
		fprintf(stderr, "%s: cannot open: %s\n", path, open_error(err));
		free(r);
		return 1;
	}
	sbuf_init(&sb);
	while (!bad && (n = lreader_next(r, &sb, &flags, &why)) == 1) {
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
				MAX_LINE_BYTES);
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
	lreader_close(r);
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

static long num_field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static int in_window(const char *line, const char *since, const char *until)
{
	const char *t = strstr(line, "\"ts\":\"");
	char ts[40];

	if (!t)
		return !since && !until;
	snprintf(ts, sizeof(ts), "%.27s", t + 6);
	if (since && strncmp(ts, since, strlen(since)) < 0)
		return 0;
	if (until && strncmp(ts, until, strlen(until)) > 0)
		return 0;
	return 1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * A JSON string field, decoded (escapes undone; \uXXXX as UTF-8, or the raw
 * byte for \u0000-\u00ff, which is how the agent escapes bytes that are not
 * UTF-8) and then made safe for a terminal.  Decoding first keeps "\u001b"
 * an escape character shown as \x1b, not the text "u001b".
 */
static void str_field(const char *line, const char *key, char *out, size_t n)
{
	const char *p = strstr(line, key);
	char raw[256];
	size_t i = 0;
	struct sbuf sb;

	out[0] = 0;
	if (!p)
		return;
	for (p += strlen(key); *p && *p != '"' && i + 4 < sizeof(raw); p++) {
		unsigned int u = 0;

		if (*p != '\\' || !p[1]) {
			raw[i++] = *p;
			continue;
		}
		switch (*++p) {
		case 'n': raw[i++] = '\n'; break;
		case 't': raw[i++] = '\t'; break;
		case 'r': raw[i++] = '\r'; break;
		case 'b': raw[i++] = '\b'; break;
		case 'f': raw[i++] = '\f'; break;
		case 'u':
			for (int k = 1; k <= 4; k++) {
				int h = hexval(p[k]);

				if (h < 0) {
					u = '?';
					break;
				}
				u = u << 4 | (unsigned int)h;
			}
			if (hexval(p[1]) >= 0 && hexval(p[2]) >= 0 && hexval(p[3]) >= 0 &&
			    hexval(p[4]) >= 0)
				p += 4;
			if (u < 0x100) {
				raw[i++] = (char)u;
			} else if (u < 0x800) {
				raw[i++] = (char)(0xc0 | u >> 6);
				raw[i++] = (char)(0x80 | (u & 0x3f));
			} else {
				raw[i++] = (char)(0xe0 | u >> 12);
				raw[i++] = (char)(0x80 | ((u >> 6) & 0x3f));
				raw[i++] = (char)(0x80 | (u & 0x3f));
			}
			break;
		default:
			raw[i++] = *p;	/* \" \\ \/ */
		}
	}
	sbuf_init(&sb);
	sbuf_term_str(&sb, raw, i);
	snprintf(out, n, "%s", sb.buf ? sb.buf : "");
	sbuf_free(&sb);
}

/* Sockets seen listening (successfully) in this history, to name their close. */
struct listeners {
	unsigned long long *sock;
	size_t n, cap;
};

static int listeners_has(const struct listeners *ls, unsigned long long s)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->sock[i] == s)
			return 1;
	return 0;
}

static void listeners_add(struct listeners *ls, unsigned long long s)
{
	if (listeners_has(ls, s))
		return;
	if (ls->n == ls->cap) {
		size_t nc = ls->cap ? ls->cap * 2 : 64;
		unsigned long long *p = realloc(ls->sock, nc * sizeof(*p));

		if (!p)
			return;
		ls->sock = p;
		ls->cap = nc;
	}
	ls->sock[ls->n++] = s;
}

int log_history(const char *dir, unsigned short port, const char *since, const char *until,
		int json)
{
	struct listeners ls = { 0 };
	struct log_files files;
	struct sbuf sb;
	struct lreader *r = malloc(sizeof(*r));
	char want[32], want_req[48];
	int err = log_files_list(dir, &files), shown = 0, rc = 0;

	if (err || !r) {
		fprintf(stderr, "bindwatch: error: failed to read log dir '%s': %s\n", dir,
			strerror(err ? -err : ENOMEM));
		free(r);
		if (!err)
			log_files_free(&files);
		return 1;
	}
	snprintf(want, sizeof(want), "\"port\":%u,", port);
	snprintf(want_req, sizeof(want_req), "\"requested_port\":%u,", port);
	sbuf_init(&sb);
	if (!json)
		printf("%-27s %-6s %-22s %-5s %-20s %s\n", "TIME (UTC)", "EVENT", "WHO", "PROTO",
		       "ADDRESS", "RESULT");
	for (size_t i = 0; i < files.n; i++) {
		const char *why = NULL;
		int lineno = 0, flags, n;

		err = lreader_open(r, files.path[i]);
		if (err) {
			fprintf(stderr, "%s: cannot open: %s\n", files.path[i], open_error(err));
			rc = 1;
			continue;
		}
		while ((n = lreader_next(r, &sb, &flags, &why)) == 1) {
			const char *l = sb.buf ? sb.buf : "";
			char ev[16], comm[64], proto[8], addr[64], errs[24], ts[40], who[96];
			char result[40];
			long sock;
			int was_listening;

			lineno++;
			if (flags & (LINE_NUL | LINE_LONG)) {
				/* never a silent skip: what a NUL would hide is said */
				fprintf(stderr, "%s:%d: %s (not shown; see bindwatch log verify)\n",
					files.path[i], lineno,
					flags & LINE_NUL ? "binary data" : "line too long");
				rc = 1;
				continue;
			}
			if (!strstr(l, want) && !strstr(l, want_req))
				continue;
			/* listeners are tracked before the time window: a close in it
			 * may belong to a listen before it */
			sock = num_field(l, "\"sock\":");
			was_listening = strstr(l, "\"event\":\"close\"") &&
					listeners_has(&ls, (unsigned long long)sock);
			if (strstr(l, "\"event\":\"listen\"") && strstr(l, "\"errno\":null") &&
			    sock > 0)
				listeners_add(&ls, (unsigned long long)sock);
			if (!in_window(l, since, until))
				continue;
			shown++;
			if (json) {
				puts(l);
				continue;
			}
			str_field(l, "\"event\":\"", ev, sizeof(ev));
			str_field(l, "\"ts\":\"", ts, sizeof(ts));
			str_field(l, "\"comm\":\"", comm, sizeof(comm));
			str_field(l, "\"proto\":\"", proto, sizeof(proto));
			str_field(l, "\"addr\":\"", addr, sizeof(addr));
			str_field(l, "\"errno\":\"", errs, sizeof(errs));
			snprintf(who, sizeof(who), "%s[%ld]", comm, num_field(l, "\"pid\":"));
			if (!strcmp(ev, "close"))
				snprintf(result, sizeof(result), "%s",
					 was_listening ? "was listening" : "released");
			else if (errs[0])
				/* an errno the agent inferred, not read from the kernel */
				snprintf(result, sizeof(result), "%s%s", errs,
					 strstr(l, "\"errno_source\":\"inferred\"") ? "?" : "");
			else
				snprintf(result, sizeof(result), "ok");
			printf("%-27s %-6s %-22s %-5s %-20s %s\n", ts, ev, who, proto, addr, result);
		}
		if (n < 0) {
			fprintf(stderr, "%s: cannot read past line %d: %s\n", files.path[i], lineno,
				why ? why : "read error");
			rc = 1;
		}
		lreader_close(r);
	}
	sbuf_free(&sb);
	log_files_free(&files);
	free(ls.sock);
	free(r);
	if (!json && !shown)
		printf("(no records about port %u)\n", port);
	return rc;
}
