#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "logchain.h"
#include "logfile.h"
#include "logread.h"
#include "sbuf.h"

#define MAX_LINE_BYTES (1 << 20)

/* One line of a gz (or plain) file into sb; 1 read, 0 EOF. */
static int read_line(gzFile gz, struct sbuf *sb)
{
	char chunk[8192];

	sbuf_reset(sb);
	while (gzgets(gz, chunk, sizeof(chunk))) {
		sbuf_puts(sb, chunk);
		if (sb->len && sb->buf[sb->len - 1] == '\n') {
			sb->buf[--sb->len] = 0;
			return 1;
		}
		if (sb->len > MAX_LINE_BYTES)
			return 1;
	}
	return sb->len > 0;
}

static int wanted_name(const char *n)
{
	return !strcmp(n, LOG_LIVE) ||
	       (!strncmp(n, "bindwatch-", 10) && strstr(n, ".log.gz") &&
		!strstr(n, ".tmp")) ||
	       !strncmp(n, LOG_LIVE ".", strlen(LOG_LIVE) + 1);
}

int log_file_is_rotated(const char *path)
{
	const char *b = strrchr(path, '/');

	return strcmp(b ? b + 1 : path, LOG_LIVE) != 0;
}

static __u64 first_seq_of(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	struct sbuf sb;
	__u64 seq = ~0ull;
	const char *p;

	if (!gz)
		return seq;
	sbuf_init(&sb);
	if (read_line(gz, &sb) && sb.buf && (p = strstr(sb.buf, ",\"seq\":")))
		seq = strtoull(p + 7, NULL, 10);
	sbuf_free(&sb);
	gzclose(gz);
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

		if (!wanted_name(e->d_name))
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
	gzFile gz = gzopen(path, "rb");
	struct sbuf sb;

	*line = NULL;
	if (!gz)
		return -errno;
	sbuf_init(&sb);
	while (read_line(gz, &sb)) {
		free(*line);
		*line = strdup(sb.buf ? sb.buf : "");
	}
	sbuf_free(&sb);
	gzclose(gz);
	return 0;
}

int log_verify(const char *dir, const unsigned char *key, size_t keylen, int quiet)
{
	struct log_files files;
	struct chain c = { .key = key, .keylen = keylen };
	struct sbuf sb;
	__u64 records = 0;
	int err = log_files_list(dir, &files), bad = 0;

	if (err) {
		fprintf(stderr, "bindwatch: error: failed to read log dir '%s': %s\n", dir,
			strerror(-err));
		return 1;
	}
	sbuf_init(&sb);
	for (size_t i = 0; i < files.n && !bad; i++) {
		gzFile gz = gzopen(files.path[i], "rb");
		int lineno = 0;

		if (!gz) {
			fprintf(stderr, "%s: cannot open\n", files.path[i]);
			bad = 1;
			break;
		}
		while (!bad && read_line(gz, &sb)) {
			/* the oldest file's first record gives the chain's start */
			int adopt = i == 0 && lineno == 0;
			int r;

			lineno++;
			if (lineno == 1 && (!sb.buf || !strstr(sb.buf, "\"event\":\"log_start\""))) {
				fprintf(stderr, "%s:%d: the file does not start with a log_start record\n",
					files.path[i], lineno);
				bad = 1;
				break;
			}
			r = chain_check(&c, sb.buf ? sb.buf : "", sb.len, adopt);
			if (r) {
				fprintf(stderr, "%s:%d: record %llu: %s\n", files.path[i], lineno,
					(unsigned long long)c.seq + 1,
					r == -EBADMSG ? "hash does not match (altered, or a wrong key)" :
					r == -ERANGE ? "sequence number out of order (records missing?)" :
						       "not a sealed record");
				bad = 1;
			}
			records++;
		}
		gzclose(gz);
	}
	sbuf_free(&sb);
	if (!bad && !quiet)
		printf("%s: %zu files, %llu records, chain intact\n", dir, files.n,
		       (unsigned long long)records);
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

static void str_field(const char *line, const char *key, char *out, size_t n)
{
	const char *p = strstr(line, key);
	size_t i = 0;

	out[0] = 0;
	if (!p)
		return;
	for (p += strlen(key); *p && *p != '"' && i + 1 < n; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[i++] = (*p < 0x20 || *p == 0x7f) ? '?' : *p;
	}
	out[i] = 0;
}

int log_history(const char *dir, unsigned short port, const char *since, const char *until,
		int json)
{
	struct log_files files;
	struct sbuf sb;
	char want[32], want_req[48];
	int err = log_files_list(dir, &files), shown = 0;

	if (err) {
		fprintf(stderr, "bindwatch: error: failed to read log dir '%s': %s\n", dir,
			strerror(-err));
		return 1;
	}
	snprintf(want, sizeof(want), "\"port\":%u,", port);
	snprintf(want_req, sizeof(want_req), "\"requested_port\":%u,", port);
	sbuf_init(&sb);
	if (!json)
		printf("%-27s %-6s %-22s %-5s %-20s %s\n", "TIME (UTC)", "EVENT", "WHO", "PROTO",
		       "ADDRESS", "RESULT");
	for (size_t i = 0; i < files.n; i++) {
		gzFile gz = gzopen(files.path[i], "rb");

		if (!gz)
			continue;
		while (read_line(gz, &sb)) {
			const char *l = sb.buf ? sb.buf : "";
			char ev[16], comm[40], proto[8], addr[48], errs[24], ts[40], who[64];

			if (!strstr(l, want) && !strstr(l, want_req))
				continue;
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
			printf("%-27s %-6s %-22s %-5s %-20s %s\n", ts, ev, who, proto, addr,
			       !strcmp(ev, "close") ? "released" : errs[0] ? errs : "ok");
		}
		gzclose(gz);
	}
	sbuf_free(&sb);
	log_files_free(&files);
	if (!json && !shown)
		printf("(no records about port %u)\n", port);
	return 0;
}
