#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "claims.h"
#include "flag.h"
#include "json_writer.h"
#include "proc.h"

#define MAX_CLAIMS 8

void claims_apply(const struct registry *reg, struct bw_record *r)
{
	const struct claim *c[MAX_CLAIMS];
	const struct bw_event *ev = &r->ev;
	size_t n, i, top;
	__u8 proto = claim_proto_bit_of(ev->proto);
	char cmdline[4096];
	ssize_t cmdlen = -1;

	if (!reg || r->err || !ev->port || !proto)
		return;
	if (ev->kind != BW_EV_BIND && ev->kind != BW_EV_LISTEN)
		return;
	n = registry__lookup(reg, ev->port, proto, c, MAX_CLAIMS);
	if (!n)
		return;
	/* only the strongest layer speaks: site over de facto over IANA */
	for (top = 0; top < n && c[top]->kind == c[0]->kind; top++) {
		if (claim_wants_cmdline(c[top]) && cmdlen < 0)
			cmdlen = proc_read_cmdline(ev->pid, cmdline, sizeof(cmdline));
		if (claim_holder_matches_cmdline(c[top], ev->comm, r->exe,
						 cmdlen > 0 ? cmdline : NULL,
						 cmdlen > 0 ? (size_t)cmdlen : 0))
			return;
	}
	for (i = 0; i < top; i++) {
		/* an IANA assignment alone is information: most ports are used by others */
		struct bw_flag *f = flag__add(r, BW_FLAG_CLAIM,
					      c[i]->kind == CLAIM_IANA ? BW_SEV_INFO
								       : (enum bw_severity)c[i]->severity,
					      c[i]->name);
		char who[40];

		if (!f)
			break;
		format_who(ev->comm, ev->pid, who, sizeof(who));
		snprintf(f->message, sizeof(f->message), "%u/%s is %s%s; %s %s it", ev->port,
			 proto_name(ev->proto), c[i]->kind == CLAIM_IANA ? "IANA-assigned to " : "",
			 c[i]->desc, who, ev->kind == BW_EV_LISTEN ? "listens on" : "bound");
	}
}

void claims_json(struct jw *w, unsigned short port, void *reg)
{
	const struct claim *c[MAX_CLAIMS];
	size_t n = reg ? registry__lookup(reg, port, 0, c, MAX_CLAIMS) : 0;

	jw_start_array(w);
	for (size_t i = 0; i < n; i++)
		claim_json(w, c[i]);
	jw_end_array(w);
}

void claims_text(struct sbuf *sb, unsigned short port, void *reg)
{
	const struct claim *c[MAX_CLAIMS];
	size_t n = reg ? registry__lookup(reg, port, 0, c, MAX_CLAIMS) : 0;
	char protos[32];

	if (!n) {
		sbuf_printf(sb, "\nport %u: no known claims\n", port);
		return;
	}
	sbuf_printf(sb, "\nport %u is known for:\n", port);
	for (size_t i = 0; i < n; i++) {
		claim_protos_str(c[i]->protos, protos, sizeof(protos));
		sbuf_printf(sb, "  %-8s %-26s %-12s %s%s%s\n", claim_kind_name(c[i]->kind),
			    c[i]->name, protos, c[i]->desc, *c[i]->source ? " -- " : "",
			    c[i]->source);
	}
}

int claims_load(struct registry **out, const char *dir, const char *const *files,
		int nfiles, char *err, size_t errlen)
{
	struct registry *r = registry__new();
	int ret;

	if (!r)
		return -ENOMEM;
	ret = registry__add_embedded(r, err, errlen);
	if (!ret && dir) {
		ret = registry__add_dir(r, dir, err, errlen);
		if (ret && !err[0])
			snprintf(err, errlen, "%s: cannot read: %s", dir, strerror(-ret));
	}
	for (int i = 0; i < nfiles && !ret; i++)
		ret = registry__add_file(r, files[i], CLAIM_SITE, err, errlen);
	if (!ret)
		ret = registry__finish(r);
	if (ret) {
		registry__free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void claims_watch_bitmap(const struct registry *reg, __u8 *bitmap)
{
	memset(bitmap, 0, 8192);
	for (size_t i = 0; reg && i < registry__count(reg); i++) {
		const struct claim *c = registry__at(reg, i);

		if (c->kind == CLAIM_IANA || !(c->protos & PROTO_TCP) || c->hi - c->lo >= 1024)
			continue;
		for (unsigned int p = c->lo; p <= c->hi; p++)
			bitmap[p >> 3] |= (__u8)(1u << (p & 7));
	}
}

void claims_steal(const struct registry *reg, struct bw_record *r)
{
	const struct claim *c[MAX_CLAIMS];
	const struct bw_event *ev = &r->ev;
	struct bw_flag *f;
	char who[40];
	size_t n;

	if (!reg || ev->kind != BW_EV_CONNECT)
		return;
	n = registry__lookup(reg, ev->port, PROTO_TCP, c, MAX_CLAIMS);
	if (!n || c[0]->kind == CLAIM_IANA)
		return;
	f = flag__add(r, BW_FLAG_EPHEMERAL_STEAL, BW_SEV_WARNING, c[0]->name);
	if (!f)
		return;
	format_who(ev->comm, ev->pid, who, sizeof(who));
	snprintf(f->message, sizeof(f->message),
		 "an outbound connection by %s took local port %u/tcp, which is %s: "
		 "it cannot be bound while this connection lives; reserve it with sysctl "
		 "net.ipv4.ip_local_reserved_ports", who, ev->port, c[0]->desc);
}
