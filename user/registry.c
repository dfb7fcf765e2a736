#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "names.h"
#include "parse.h"
#include "registry.h"

#define MAX_LINE 512
#define REGISTRY_FILE_MAX (64u << 20)

extern const char bw_registry_embedded[];

struct registry {
	struct claim *c;
	size_t n, cap;
	char **arenas;		/* texts the claims point into */
	size_t narenas;
	/* index: segment i covers [seg_lo[i], seg_lo[i+1]) and the claims
	 * seg_claims[seg_off[i] .. seg_off[i+1]), strongest layer first */
	__u32 *seg_lo;
	size_t nseg;
	size_t *seg_off;
	__u32 *seg_claims;
};

struct registry *registry__new(void)
{
	return calloc(1, sizeof(struct registry));
}

static void free_index(struct registry *r)
{
	free(r->seg_lo);
	free(r->seg_off);
	free(r->seg_claims);
	r->seg_lo = NULL;
	r->seg_off = NULL;
	r->seg_claims = NULL;
	r->nseg = 0;
}

void registry__free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->narenas; i++)
		free(r->arenas[i]);
	free(r->arenas);
	free(r->c);
	free_index(r);
	free(r);
}

/* The one table of claim kinds, read both ways: "@kind NAME" lines, list
 * output and JSON. */
static const char *const claim_kind_names[CLAIM_KIND_COUNT] = {
	[CLAIM_IANA] = "iana",
	[CLAIM_DEFACTO] = "defacto",
	[CLAIM_SITE] = "site",
};

const char *claim_kind_name(__u8 kind)
{
	return names__name(claim_kind_names, NAMES_LEN(claim_kind_names), kind);
}

int claim_kind_from_name(const char *name)
{
	return names__index(claim_kind_names, NAMES_LEN(claim_kind_names), name);
}

/* The one protocol table: registry names, PROTO_* bits, IPPROTO_* numbers. */
static const struct {
	const char *name;
	__u8 bit;
	__u8 ipproto;
} protos_tab[] = {
	{ "tcp", PROTO_TCP, IPPROTO_TCP },
	{ "udp", PROTO_UDP, IPPROTO_UDP },
	{ "sctp", PROTO_SCTP, IPPROTO_SCTP },
	{ "dccp", PROTO_DCCP, IPPROTO_DCCP },
};

void claim_protos_str(__u8 protos, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(protos_tab) / sizeof(protos_tab[0]); i++)
		if (protos & protos_tab[i].bit)
			off += (size_t)snprintf(buf + off, len > off ? len - off : 0, "%s%s",
						off ? "/" : "", protos_tab[i].name);
}

int claim_proto_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(protos_tab) / sizeof(protos_tab[0]); i++)
		if (!strcmp(name, protos_tab[i].name))
			return protos_tab[i].bit;
	return -1;
}

__u8 claim_proto_bit_of(__u8 ipproto)
{
	for (size_t i = 0; i < sizeof(protos_tab) / sizeof(protos_tab[0]); i++)
		if (ipproto == protos_tab[i].ipproto)
			return protos_tab[i].bit;
	return 0;
}

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

static int push_claim(struct claim **arr, size_t *n, size_t *cap, const struct claim *c)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct claim *a = realloc(*arr, nc * sizeof(*a));

		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = nc;
	}
	(*arr)[(*n)++] = *c;
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
	char *buf, *line, *next, *end, **arenas;
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
		if (l > MAX_LINE) {
			snprintf(detail, sizeof(detail), "line longer than %d characters (%zu)", MAX_LINE, l);
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
		ret = push_claim(&tmp, &ntmp, &captmp, &c);
		if (ret)
			goto cleanup;
		continue;
bad:
		snprintf(err, errlen, "%s:%d: %s", cur_file, lineno, why ? why : detail);
		ret = -EINVAL;
		goto cleanup;
	}
	/* all good: keep the text and the claims */
	arenas = realloc(r->arenas, (r->narenas + 1) * sizeof(*arenas));
	if (!arenas) {
		ret = -ENOMEM;
		goto cleanup;
	}
	r->arenas = arenas;
	for (size_t i = 0; i < ntmp && !ret; i++)
		ret = push_claim(&r->c, &r->n, &r->cap, &tmp[i]);
	if (ret)
		goto cleanup;
	r->arenas[r->narenas++] = buf;
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

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_claim_lo(const void *a, const void *b, void *claims)
{
	const struct claim *x = &((const struct claim *)claims)[*(const __u32 *)a];
	const struct claim *y = &((const struct claim *)claims)[*(const __u32 *)b];

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int registry__finish(struct registry *r)
{
	__u32 *bounds = NULL, *order = NULL, *active = NULL;
	size_t nb = 0, nactive = 0, total = 0, cap, next = 0;
	int ret = -ENOMEM;

	free_index(r);
	if (!r->n)
		return 0;
	bounds = malloc(2 * r->n * sizeof(*bounds));
	order = malloc(r->n * sizeof(*order));
	active = malloc(r->n * sizeof(*active));
	if (!bounds || !order || !active)
		goto cleanup;
	for (size_t i = 0; i < r->n; i++) {
		bounds[nb++] = r->c[i].lo;
		bounds[nb++] = (__u32)r->c[i].hi + 1;
		order[i] = (__u32)i;
	}
	qsort(bounds, nb, sizeof(*bounds), cmp_u32);
	r->nseg = 0;
	for (size_t i = 0; i < nb; i++)
		if (!r->nseg || bounds[r->nseg - 1] != bounds[i])
			bounds[r->nseg++] = bounds[i];
	qsort_r(order, r->n, sizeof(*order), cmp_claim_lo, r->c);
	r->seg_lo = bounds;
	bounds = NULL;
	r->seg_off = malloc((r->nseg + 1) * sizeof(*r->seg_off));
	cap = r->n * 2;
	r->seg_claims = malloc(cap * sizeof(*r->seg_claims));
	if (!r->seg_off || !r->seg_claims)
		goto cleanup;
	/* sweep: each segment gets the claims active on it */
	for (size_t s = 0; s < r->nseg; s++) {
		__u32 start = r->seg_lo[s];
		size_t k = 0;

		for (size_t i = 0; i < nactive; i++)
			if (r->c[active[i]].hi >= start)
				active[k++] = active[i];
		nactive = k;
		while (next < r->n && r->c[order[next]].lo == start)
			active[nactive++] = order[next++];
		r->seg_off[s] = total;
		if (total + nactive > cap) {
			__u32 *nc;

			while (total + nactive > cap)
				cap *= 2;
			nc = realloc(r->seg_claims, cap * sizeof(*nc));
			if (!nc)
				goto cleanup;
			r->seg_claims = nc;
		}
		/* strongest layer first; within one, file order */
		for (int kind = CLAIM_SITE; kind >= CLAIM_IANA; kind--)
			for (size_t i = 0; i < nactive; i++)
				if (r->c[active[i]].kind == kind)
					r->seg_claims[total++] = active[i];
	}
	r->seg_off[r->nseg] = total;
	ret = 0;
cleanup:
	free(bounds);
	free(order);
	free(active);
	if (ret)
		free_index(r);
	return ret;
}

size_t registry__lookup(const struct registry *r, __u16 port, __u8 proto,
			const struct claim **out, size_t max)
{
	size_t lo = 0, hi = r->nseg, n = 0;

	if (!r->nseg || port < r->seg_lo[0])
		return 0;
	while (hi - lo > 1) {	/* last segment starting at or before port */
		size_t mid = (lo + hi) / 2;

		if (r->seg_lo[mid] <= port)
			lo = mid;
		else
			hi = mid;
	}
	for (size_t i = r->seg_off[lo]; i < r->seg_off[lo + 1] && n < max; i++) {
		const struct claim *c = &r->c[r->seg_claims[i]];

		if (port >= c->lo && port <= c->hi && (!proto || (c->protos & proto)))
			out[n++] = c;
	}
	return n;
}

size_t registry__count(const struct registry *r)
{
	return r->n;
}

const struct claim *registry__at(const struct registry *r, size_t i)
{
	return i < r->n ? &r->c[i] : NULL;
}

/* Options of interpreters that take the next word as their argument. */
static int takes_arg(const char *opt)
{
	static const char *const with_arg[] = { "-W", "-X", "-Q", "-c", "-e", "-r", "--require",
						"-I", NULL };

	for (size_t i = 0; with_arg[i]; i++)
		if (!strcmp(opt, with_arg[i]))
			return 1;
	return 0;
}

int claim_program_of(const char *cmdline, size_t len, char *out, size_t out_len)
{
	const char *end, *p, *prog = NULL;

	out[0] = 0;
	if (!cmdline || !len)
		return -ENOENT;
	/* only whole arguments: a last one with no NUL (a cut read) is left
	 * out, so every string below ends inside the buffer */
	while (len && cmdline[len - 1])
		len--;
	if (!len)
		return -ENOENT;
	end = cmdline + len;
	/* argv[0] is the interpreter; then options, then the program */
	for (p = cmdline + strnlen(cmdline, len) + 1; p < end; p += strnlen(p, (size_t)(end - p)) + 1) {
		if (!strcmp(p, "-m")) {		/* python -m MODULE */
			p += strnlen(p, (size_t)(end - p)) + 1;
			prog = p < end ? p : NULL;
			break;
		}
		if (!strncmp(p, "-m", 2) && p[2]) {	/* python -mMODULE */
			prog = p + 2;
			break;
		}
		if (p[0] == '-') {
			if (!strcmp(p, "-c"))	/* code on the command line: no program */
				return -ENOENT;
			if (takes_arg(p))
				p += strnlen(p, (size_t)(end - p)) + 1;
			continue;
		}
		prog = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;	/* the script */
		break;
	}
	if (!prog || prog >= end || !*prog || strnlen(prog, (size_t)(end - prog)) >= out_len)
		return -ENOENT;
	memcpy(out, prog, strnlen(prog, (size_t)(end - prog)));
	out[strnlen(prog, (size_t)(end - prog))] = 0;
	return 0;
}

int claim_holder_matches(const struct claim *c, const char *comm, const char *exe)
{
	return claim_holder_matches_cmdline(c, comm, exe, NULL, 0);
}

int claim_holder_matches_cmdline(const struct claim *c, const char *comm, const char *exe,
				 const char *cmdline, size_t cmdline_len)
{
	const char *base = exe ? strrchr(exe, '/') : NULL, *g, *next;
	char prog[256];
	int have_prog = -1;

	base = base ? base + 1 : exe;
	for (g = c->holders; g && *g; g = next) {
		char glob[MAX_LINE + 1], *at;
		size_t gl;

		next = strchr(g, ',');
		gl = next ? (size_t)(next - g) : strlen(g);
		if (next)
			next++;
		if (!gl || gl >= sizeof(glob))
			continue;
		memcpy(glob, g, gl);
		glob[gl] = 0;
		/* INTERPRETER@PROGRAM: the interpreter on comm/exe, its program too */
		at = strchr(glob, '@');
		if (at) {
			*at++ = 0;
			if (have_prog < 0)
				have_prog = !claim_program_of(cmdline, cmdline_len, prog, sizeof(prog));
			if (!have_prog || fnmatch(at, prog, 0))
				continue;
		}
		if (comm && !fnmatch(glob, comm, 0))
			return 1;
		if (exe && *exe && (!fnmatch(glob, exe, 0) || (base && !fnmatch(glob, base, 0))))
			return 1;
	}
	return 0;
}

int claim_wants_cmdline(const struct claim *c)
{
	return strchr(c->holders, '@') != NULL;
}

void claim_json(struct jw *w, const struct claim *c)
{
	char protos[32], ports[16];

	claim_protos_str(c->protos, protos, sizeof(protos));
	jw_start_object(w);
	jw_string_field(w, "service", c->name);
	if (c->lo == c->hi) {
		jw_uint_field(w, "port", c->lo);
	} else {
		snprintf(ports, sizeof(ports), "%u-%u", c->lo, c->hi);
		jw_string_field(w, "ports", ports);
	}
	jw_string_field(w, "protos", protos);
	jw_string_field(w, "kind", claim_kind_name(c->kind));
	jw_string_field(w, "severity", severity_name(c->severity));
	jw_string_field(w, "holders", c->holders);
	jw_string_field(w, "description", c->desc);
	jw_string_field(w, "source", c->source);
	jw_string_field(w, "file", c->file);
	jw_name(w, "line");
	jw_int(w, c->line);
	jw_end_object(w);
}
