/* The registry's parser: claim lines from the embedded registry, a file or
 * a folder of site files, checked whole (bad line or duplicate: the file is
 * refused with FILE:LINE, nothing of it kept) before registry__keep() stores
 * them.  The store and its index are registry.c. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "registry.h"

#define REGISTRY_FILE_MAX (64u << 20)

extern const char bw_registry_embedded[];

/* "N[-M]/proto[/proto...]" */
static int parse_ports(char *s, struct claim *c, const char **why, char *detail, size_t dlen)
{
	char *slash = strchr(s, '/'), *dash, *p, *save = NULL;
	unsigned short lo, hi;

	if (!slash) {
		*why = "port without a protocol (want PORT[-PORT]/PROTO[/PROTO])";
		return -EINVAL;
	}
	*slash = 0;
	dash = strchr(s, '-');
	if (dash)
		*dash = 0;
	if (parse_port(s, 0, &lo) || parse_port(dash ? dash + 1 : s, 0, &hi)) {
		snprintf(detail, dlen, "port out of range: '%s%s%s' (want 1-65535)", s,
			 dash ? "-" : "", dash ? dash + 1 : "");
		return -ERANGE;
	}
	if (lo > hi) {
		snprintf(detail, dlen, "reversed range %u-%u", lo, hi);
		return -ERANGE;
	}
	c->lo = lo;
	c->hi = hi;
	c->protos = 0;
	for (p = strtok_r(slash + 1, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		int b = claim_proto_bit(p);

		if (b < 0) {
			snprintf(detail, dlen, "unknown protocol '%.32s' (want tcp, udp, sctp, dccp)", p);
			return -EINVAL;
		}
		c->protos |= (__u8)b;
	}
	if (!c->protos) {
		*why = "no protocol after '/'";
		return -EINVAL;
	}
	return 0;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._+-:", *s))
			return 0;
	return 1;
}

static char *next_field(char **p)
{
	char *s = *p, *start;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	start = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = 0;
	*p = s;
	return start;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	return s;
}

struct dupkey {
	const char *name;
	__u16 lo, hi;
	__u8 protos;
	int line;
};

static unsigned long dup_hash(const char *name, __u16 lo, __u16 hi)
{
	unsigned long h = 5381;

	for (; *name; name++)
		h = h * 33 + (unsigned char)*name;
	return h ^ ((unsigned long)lo << 16 | hi) * 2654435761ul;
}

/* Returns the earlier line of an overlapping duplicate, or 0 after inserting. */
static int dup_check(struct dupkey *tab, size_t cap, const struct claim *c)
{
	size_t i = dup_hash(c->name, c->lo, c->hi) & (cap - 1);

	for (; tab[i].name; i = (i + 1) & (cap - 1))
		if (tab[i].lo == c->lo && tab[i].hi == c->hi && (tab[i].protos & c->protos) &&
		    !strcmp(tab[i].name, c->name))
			return tab[i].line;
	tab[i] = (struct dupkey){ c->name, c->lo, c->hi, c->protos, c->line };
	return 0;
}

/*
 * Take claims[0..n) (the last ones dup_check() inserted, in that order) out
 * of the table again.  Newest first: each one's probe run then holds only
 * older entries, all still in place, so it is found where it was put.
 */
static void dup_forget(struct dupkey *tab, size_t cap, const struct claim *claims, size_t n)
{
	while (n--) {
		const struct claim *c = &claims[n];
		size_t i = dup_hash(c->name, c->lo, c->hi) & (cap - 1);

		for (; tab[i].name; i = (i + 1) & (cap - 1))
			if (tab[i].name == c->name && tab[i].line == c->line) {
				tab[i].name = NULL;
				break;
			}
	}
}

/* File names live as long as the registry: kept in the arena text itself. */
int registry__add_text(struct registry *r, const char *file, const char *text, size_t len,
		       enum claim_kind kind, char *err, size_t errlen)
{
	struct claim *tmp = NULL;
	size_t ntmp = 0, captmp = 0, dupcap = 1024, lines = 1, file_first = 0;
	struct dupkey *dups = NULL;
	char *buf, *line, *next, *end;
	const char *cur_file;
	int lineno = 0, ret = 0;
	const enum claim_kind default_kind = kind;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	while (dupcap < lines * 2)
		dupcap *= 2;
	buf = malloc(len + strlen(file) + 2);
	dups = calloc(dupcap, sizeof(*dups));
	if (!buf || !dups) {
		ret = -ENOMEM;
		goto cleanup;
	}
	strcpy(buf, file);
	cur_file = buf;
	memcpy(buf + strlen(file) + 1, text, len);
	buf[strlen(file) + 1 + len] = 0;

	end = buf + strlen(file) + 1 + len;
	for (line = buf + strlen(file) + 1; line < end; line = next) {
		char *p, *name, *ports, *sev, *holders, *rest, *bar, detail[160] = "", ports_txt[32];
		int sevn;
		const char *why = NULL;
		struct claim c;
		size_t l;
		int prev;

		next = memchr(line, '\n', (size_t)(end - line));
		l = next ? (size_t)(next - line) : (size_t)(end - line);
		lineno++;
		if (memchr(line, 0, l)) {
			why = "binary data (a NUL byte)";
			goto bad;
		}
		line[l] = 0;
		next = line + l + 1;
		if (l && line[l - 1] == '\r')
			line[--l] = 0;
		/* every line, "#@file" ones too: a file name reaches the terminal */
		if (l > REGISTRY_LINE_MAX) {
			snprintf(detail, sizeof(detail), "line longer than %d characters (%zu)",
				 REGISTRY_LINE_MAX, l);
			goto bad;
		}
		for (p = line; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
				snprintf(detail, sizeof(detail), "binary data (byte 0x%02x)",
					 (unsigned char)*p);
				goto bad;
			}
		if (!strncmp(line, "#@file ", 7)) {
			/* a new file: its own line numbers, kind and duplicates; only
			 * the last file's claims leave the table, not all of it (a
			 * memset per "#@file" made many of them quadratic) */
			if (ntmp > file_first)
				dup_forget(dups, dupcap, tmp + file_first, ntmp - file_first);
			file_first = ntmp;
			cur_file = line + 7;
			lineno = 0;
			kind = default_kind;
			continue;
		}
		p = trim(line);
		if (!*p || *p == '#')
			continue;
		if (*p == '@') {
			if (!strncmp(p, "@kind ", 6)) {
				char *k = trim(p + 6);
				int kn = claim_kind_from_name(k);

				if (kn < 0) {
					snprintf(detail, sizeof(detail),
						 "unknown kind '%.32s' (want iana, defacto, site)", k);
					goto bad;
				}
				kind = (enum claim_kind)kn;
				continue;
			}
			snprintf(detail, sizeof(detail), "unknown directive '%.32s'", p);
			goto bad;
		}
		memset(&c, 0, sizeof(c));
		name = next_field(&p);
		ports = next_field(&p);
		sev = next_field(&p);
		holders = next_field(&p);
		rest = p ? trim(p) : NULL;
		if (!name || !ports || !sev || !holders || !rest || !*rest) {
			why = "missing field (want NAME PORT/PROTO SEVERITY HOLDERS DESCRIPTION [| SOURCE])";
			goto bad;
		}
		if (!valid_name(name)) {
			snprintf(detail, sizeof(detail), "bad service name '%.40s'", name);
			goto bad;
		}
		c.name = name;
		snprintf(ports_txt, sizeof(ports_txt), "%s", ports);
		if (parse_ports(ports, &c, &why, detail, sizeof(detail)))
			goto bad;
		sevn = severity_from_name(sev);
		if (sevn < 0) {
			snprintf(detail, sizeof(detail),
				 "unknown severity '%.20s' (want info, warning, error)", sev);
			goto bad;
		}
		c.severity = (__u8)sevn;
		c.holders = strcmp(holders, "-") ? holders : "";
		bar = strstr(rest, "|");
		if (bar) {
			*bar = 0;
			c.source = trim(bar + 1);
		} else {
			c.source = "";
		}
		c.desc = trim(rest);
		if (!*c.desc) {
			why = "empty description";
			goto bad;
		}
		if (kind == CLAIM_DEFACTO && !*c.source) {
			why = "a de facto claim needs a source after '|'";
			goto bad;
		}
		c.kind = (__u8)kind;
		c.file = cur_file;
		c.line = lineno;
		prev = dup_check(dups, dupcap, &c);
		if (prev) {
			snprintf(detail, sizeof(detail), "duplicate claim '%s' for %s (first at line %d)",
				 c.name, ports_txt, prev);
			goto bad;
		}
		ret = claim_array__push(&tmp, &ntmp, &captmp, &c);
		if (ret)
			goto cleanup;
		continue;
bad:
		snprintf(err, errlen, "%s:%d: %s", cur_file, lineno, why ? why : detail);
		ret = -EINVAL;
		goto cleanup;
	}
	/* all good: keep the text and the claims */
	ret = registry__keep(r, buf, tmp, ntmp);
	if (ret)
		goto cleanup;
	buf = NULL;
cleanup:
	free(buf);
	free(tmp);
	free(dups);
	return ret;
}

int registry__add_file(struct registry *r, const char *path, enum claim_kind kind,
		       char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	/* all of it, or a refusal by name: never the first 64 MiB read as the whole */
	do {
		if (cap - len < 65536) {
			char *t = realloc(text, cap = cap ? cap * 2 : 262144);

			if (!t) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (n > 0 && len <= REGISTRY_FILE_MAX);
	if (len > REGISTRY_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u MiB, the limit for a registry file "
			 "(refused, not cut)", path, REGISTRY_FILE_MAX >> 20);
		free(text);
		fclose(f);
		return -EFBIG;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(text);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	ret = registry__add_text(r, path, text ? text : "", len, kind, err, errlen);
	free(text);
	return ret;
}

int registry__add_embedded(struct registry *r, char *err, size_t errlen)
{
	return registry__add_text(r, "embedded", bw_registry_embedded,
				  strlen(bw_registry_embedded), CLAIM_SITE, err, errlen);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int registry__add_dir(struct registry *r, const char *dir, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		char **nn;

		if (l < 6 || strcmp(e->d_name + l - 5, ".conf"))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = malloc(strlen(dir) + l + 2))) {
			names = nn ? nn : names;
			ret = -ENOMEM;
			break;
		}
		names = nn;
		sprintf(names[n++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (!ret)
		qsort(names, n, sizeof(*names), cmp_str);	/* a stable order */
	for (size_t i = 0; i < n && !ret; i++)
		ret = registry__add_file(r, names[i], CLAIM_SITE, err, errlen);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}
