/* The claim registry's store: the claims and the texts they point into,
 * the port index built once by registry__finish(), lookups; and the claim
 * vocabulary (kinds, protocols) and JSON shared by everything that shows a
 * claim.  Parsing is registry_parse.c; matching a holder claim_holder.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "names.h"
#include "registry.h"

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

int claim_array__push(struct claim **arr, size_t *n, size_t *cap, const struct claim *c)
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

int registry__keep(struct registry *r, char *text, const struct claim *claims, size_t n)
{
	size_t before = r->n;
	char **arenas;
	int ret = 0;

	arenas = realloc(r->arenas, (r->narenas + 1) * sizeof(*arenas));
	if (!arenas)
		return -ENOMEM;
	r->arenas = arenas;
	for (size_t i = 0; i < n && !ret; i++)
		ret = claim_array__push(&r->c, &r->n, &r->cap, &claims[i]);
	if (ret) {
		/* all or nothing: the caller frees text, and no claim may point into it */
		r->n = before;
		return ret;
	}
	r->arenas[r->narenas++] = text;
	return 0;
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
