/* bindwatch history: the records about one port, across the log's files,
 * in a time window, as NDJSON or text.  The log is read back as written by
 * the agent, but shown to a terminal, so strings are decoded and escaped
 * here again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loglines.h"
#include "logread.h"
#include "sbuf.h"

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

		err = lreader__open(r, files.path[i]);
		if (err) {
			fprintf(stderr, "%s: cannot open: %s\n", files.path[i], log_open_error(err));
			rc = 1;
			continue;
		}
		while ((n = lreader__next(r, &sb, &flags, &why)) == 1) {
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
		lreader__close(r);
	}
	sbuf_free(&sb);
	log_files_free(&files);
	free(ls.sock);
	free(r);
	if (!json && !shown)
		printf("(no records about port %u)\n", port);
	return rc;
}
