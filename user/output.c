#include <stdio.h>
#include <string.h>
#include <time.h>
#include "output.h"

void format_ts(struct sbuf *sb, __u64 real_ns)
{
	time_t sec = (time_t)(real_ns / 1000000000ull);
	struct tm tm;
	char buf[32];

	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	sbuf_printf(sb, "%s.%06lluZ", buf,
		    (unsigned long long)(real_ns % 1000000000ull) / 1000);
}

static void json_str_or_null(struct sbuf *sb, const char *s, size_t n)
{
	if (s[0])
		sbuf_json_str(sb, s, n);
	else
		sbuf_puts(sb, "null");
}

static void json_opts(struct sbuf *sb, __u8 opts)
{
	int i, first = 1;

	sbuf_putc(sb, '[');
	for (i = 0; i < 6; i++) {
		if (!(opts & (1u << i)))
			continue;
		if (!first)
			sbuf_putc(sb, ',');
		sbuf_printf(sb, "\"%s\"", bw_opt_names[i]);
		first = 0;
	}
	sbuf_putc(sb, ']');
}

void output_json_holder(struct sbuf *sb, const struct bw_holder *h)
{
	char a[64];

	addr_str(h->family, h->addr, a, sizeof(a));
	sbuf_puts(sb, "{\"pid\":");
	if (h->pid)
		sbuf_printf(sb, "%u", h->pid);
	else
		sbuf_puts(sb, "null");
	sbuf_puts(sb, ",\"comm\":");
	json_str_or_null(sb, h->comm, sizeof(h->comm));
	sbuf_puts(sb, ",\"exe\":");
	json_str_or_null(sb, h->exe, sizeof(h->exe));
	sbuf_printf(sb, ",\"uid\":%u,\"netns\":%u,\"family\":\"%s\",\"proto\":\"%s\","
		    "\"addr\":\"%s\",\"port\":%u,\"state\":\"%s\",\"inode\":%llu,"
		    "\"sock\":%llu,\"since\":",
		    h->uid, h->netns, family_name(h->family), proto_name(h->proto), a,
		    h->port, h->listening ? "listening" : "bound",
		    (unsigned long long)h->inode, (unsigned long long)h->cookie);
	if (h->since_ns) {
		sbuf_putc(sb, '"');
		format_ts(sb, h->since_ns);
		sbuf_putc(sb, '"');
	} else {
		sbuf_puts(sb, "null");
	}
	sbuf_puts(sb, ",\"container\":");
	container_json(sb, &h->container);
	sbuf_putc(sb, '}');
}

static void json_flag(struct sbuf *sb, const struct bw_flag *f)
{
	sbuf_puts(sb, "{\"kind\":");
	sbuf_json_str(sb, f->kind, sizeof(f->kind));
	sbuf_puts(sb, ",\"severity\":");
	sbuf_json_str(sb, f->severity, sizeof(f->severity));
	if (f->service[0]) {
		sbuf_puts(sb, ",\"service\":");
		sbuf_json_str(sb, f->service, sizeof(f->service));
	}
	sbuf_puts(sb, ",\"message\":");
	sbuf_json_str(sb, f->message, sizeof(f->message));
	sbuf_putc(sb, '}');
}

void output_json_record(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], eb[16];
	int i;

	addr_str(e->family, e->addr, a, sizeof(a));
	sbuf_printf(sb, "{\"event\":\"%s\",\"ts\":\"", kind_name(e->kind));
	format_ts(sb, r->ts_real_ns);
	sbuf_printf(sb, "\",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"comm\":",
		    e->pid, e->tid, e->uid);
	sbuf_json_str(sb, e->comm, sizeof(e->comm));
	sbuf_puts(sb, ",\"exe\":");
	json_str_or_null(sb, r->exe, sizeof(r->exe));
	sbuf_printf(sb, ",\"cgroup_id\":%llu,\"netns\":%u,\"family\":\"%s\","
		    "\"proto\":\"%s\",\"addr\":\"%s\",\"port\":%u,\"requested_port\":%u,"
		    "\"opts\":",
		    (unsigned long long)e->cgroup_id, e->netns, family_name(e->family),
		    proto_name(e->proto), a, e->port, e->req_port);
	json_opts(sb, e->opts);
	if (r->netns_name[0]) {
		sbuf_puts(sb, ",\"netns_name\":");
		sbuf_json_str(sb, r->netns_name, sizeof(r->netns_name));
	}
	if (e->bound_dev_if)
		sbuf_printf(sb, ",\"ifindex\":%u", e->bound_dev_if);
	sbuf_puts(sb, ",\"errno\":");
	if (r->err)
		sbuf_printf(sb, "\"%s\",\"errno_source\":\"%s\"",
			    errno_name(r->err, eb, sizeof(eb)),
			    r->err_inferred == 2 ? "guard" :
			    r->err_inferred ? "inferred" : "kernel");
	else
		sbuf_puts(sb, "null");
	sbuf_printf(sb, ",\"ret\":%d,\"sock\":%llu,\"holders\":[",
		    r->err ? -r->err : 0, (unsigned long long)e->cookie);
	for (i = 0; i < r->nholders; i++) {
		if (i)
			sbuf_putc(sb, ',');
		output_json_holder(sb, &r->holders[i]);
	}
	sbuf_puts(sb, "],\"flags\":[");
	for (i = 0; i < r->nflags; i++) {
		if (i)
			sbuf_putc(sb, ',');
		json_flag(sb, &r->flags[i]);
	}
	sbuf_puts(sb, "],\"container\":");
	container_json(sb, &r->container);
	sbuf_putc(sb, '}');
}

void output_json_ready(struct sbuf *sb, const char *backend, const char *version)
{
	sbuf_puts(sb, "{\"event\":\"ready\",\"backend\":");
	sbuf_json_str(sb, backend, strlen(backend));
	sbuf_puts(sb, ",\"version\":");
	sbuf_json_str(sb, version, strlen(version));
	sbuf_putc(sb, '}');
}

void output_json_summary(struct sbuf *sb, const struct bw_summary *s)
{
	sbuf_printf(sb, "{\"event\":\"summary\",\"events\":%llu,\"dropped\":%llu,"
		    "\"untracked\":%llu,\"binds\":%llu,\"listens\":%llu,\"closes\":%llu,"
		    "\"failed\":%llu,\"seconds\":%.3f}",
		    (unsigned long long)s->events, (unsigned long long)s->dropped,
		    (unsigned long long)s->untracked,
		    (unsigned long long)s->binds, (unsigned long long)s->listens,
		    (unsigned long long)s->closes, (unsigned long long)s->failed,
		    s->seconds);
}

void output_text_header(struct sbuf *sb)
{
	sbuf_printf(sb, "%-8s %-6s %7s %-11s %-5s %-16s %5s %s\n", "TIME", "EVENT",
		    "PID", "COMM", "PROTO", "ADDRESS", "PORT", "RESULT");
}

/* Short option codes (R reuseaddr, P reuseport, F freebind, T transparent,
 * 6 v6only, D bound to a device), so the line stays under 80 columns. */
static void text_opts(struct sbuf *sb, __u8 opts)
{
	static const char codes[] = "RPFT6D";
	int i;

	if (!opts)
		return;
	sbuf_putc(sb, ' ');
	for (i = 0; i < 6; i++)
		if (opts & (1u << i))
			sbuf_putc(sb, codes[i]);
}

void output_text_record(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], eb[16], tbuf[16], proto[8];
	time_t sec = (time_t)(r->ts_real_ns / 1000000000ull);
	struct sbuf comm;
	struct tm tm;
	int i;

	localtime_r(&sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	addr_str(e->family, e->addr, a, sizeof(a));
	snprintf(proto, sizeof(proto), "%s%c", proto_name(e->proto),
		 e->family == 10 ? '6' : '4');
	sbuf_init(&comm);
	sbuf_term_str(&comm, e->comm, sizeof(e->comm));
	sbuf_printf(sb, "%-8s %-6s %7u %-11.11s %-5s %-16s %5u ", tbuf,
		    kind_name(e->kind), e->pid, comm.buf ? comm.buf : "", proto, a,
		    e->port);
	sbuf_free(&comm);
	if (e->kind == BW_EV_CLOSE)
		sbuf_puts(sb, (e->flags & BW_F_LISTENING) ? "was listening" : "released");
	else if (r->err)
		sbuf_printf(sb, "%s%s", errno_name(r->err, eb, sizeof(eb)),
			    r->err_inferred == 2 ? " guard" : r->err_inferred ? "?" : "");
	else
		sbuf_puts(sb, "ok");
	text_opts(sb, e->opts);
	sbuf_putc(sb, '\n');
	for (i = 0; i < r->nholders; i++) {
		const struct bw_holder *h = &r->holders[i];
		char ha[64];

		addr_str(h->family, h->addr, ha, sizeof(ha));
		sbuf_puts(sb, "  held by ");
		if (h->pid) {
			sbuf_term_str(sb, h->comm, sizeof(h->comm));
			sbuf_printf(sb, "[%u]", h->pid);
		} else {
			sbuf_printf(sb, "socket inode %llu", (unsigned long long)h->inode);
		}
		sbuf_printf(sb, " uid %u %s %s:%u %s\n", h->uid, proto_name(h->proto), ha,
			    h->port, h->listening ? "listening" : "bound");
	}
	for (i = 0; i < r->nflags; i++) {
		sbuf_printf(sb, "  %s %s: ", r->flags[i].severity, r->flags[i].kind);
		sbuf_term_str(sb, r->flags[i].message, sizeof(r->flags[i].message));
		sbuf_putc(sb, '\n');
	}
}

void output_text_summary(struct sbuf *sb, const struct bw_summary *s)
{
	sbuf_printf(sb, "%llu events (%llu binds, %llu listens, %llu closes, "
		    "%llu failed), %llu dropped, %.1f s\n",
		    (unsigned long long)s->events, (unsigned long long)s->binds,
		    (unsigned long long)s->listens, (unsigned long long)s->closes,
		    (unsigned long long)s->failed, (unsigned long long)s->dropped,
		    s->seconds);
}

/* ------------------------------------------------------------ port guard */

static const char *guard_action(int action)
{
	switch (action) {
	case 1:
		return "deny";
	case 2:
		return "audit";
	case BW_GUARD_ACT_HELD:
		return "held";
	}
	return "?";
}

void output_json_guard(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	const char *k = r->guard.kept_for;
	char a[64];

	addr_str(e->family, e->addr, a, sizeof(a));
	sbuf_printf(sb, "{\"event\":\"guard\",\"action\":\"%s\",\"ts\":\"",
		    guard_action(r->guard.action));
	format_ts(sb, r->ts_real_ns);
	sbuf_puts(sb, "\",\"rule\":");
	sbuf_json_str(sb, r->guard.rule, sizeof(r->guard.rule));
	/* "cgroup:/a,uid:0" as a list */
	sbuf_puts(sb, ",\"kept_for\":[");
	while (*k) {
		size_t n = strcspn(k, ",");

		sbuf_json_str(sb, k, n);
		k += n;
		if (*k == ',' && *++k)
			sbuf_putc(sb, ',');
	}
	sbuf_printf(sb, "],\"hook\":\"%s\",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"comm\":",
		    r->guard.post_bind ? "post_bind" : "bind", e->pid, e->tid, e->uid);
	sbuf_json_str(sb, e->comm, sizeof(e->comm));
	sbuf_puts(sb, ",\"exe\":");
	json_str_or_null(sb, r->exe, sizeof(r->exe));
	sbuf_printf(sb, ",\"cgroup_id\":%llu,\"netns\":%u,", (unsigned long long)e->cgroup_id,
		    e->netns);
	if (r->netns_name[0]) {
		sbuf_puts(sb, "\"netns_name\":");
		sbuf_json_str(sb, r->netns_name, sizeof(r->netns_name));
		sbuf_putc(sb, ',');
	}
	sbuf_printf(sb, "\"family\":\"%s\",\"proto\":\"%s\",\"addr\":\"%s\",\"port\":%u,"
		    "\"errno\":%s,\"sock\":%llu,\"container\":",
		    family_name(e->family), proto_name(e->proto), a, e->port,
		    r->err ? "\"EPERM\"" : "null", (unsigned long long)e->cookie);
	container_json(sb, &r->container);
	sbuf_putc(sb, '}');
}

void output_text_guard(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], tbuf[16], proto[8];
	time_t sec = (time_t)(r->ts_real_ns / 1000000000ull);
	struct sbuf comm;
	struct tm tm;
	static const char *result[] = { "?", "EPERM guard", "audit", "held" };
	int act = r->guard.action >= 1 && r->guard.action <= 3 ? r->guard.action : 0;

	localtime_r(&sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	addr_str(e->family, e->addr, a, sizeof(a));
	snprintf(proto, sizeof(proto), "%s%c", proto_name(e->proto),
		 e->family == 10 ? '6' : '4');
	sbuf_init(&comm);
	sbuf_term_str(&comm, e->comm, sizeof(e->comm));
	if (act == BW_GUARD_ACT_HELD)
		sbuf_printf(sb, "%-8s ", "start");
	else
		sbuf_printf(sb, "%-8s ", tbuf);
	sbuf_printf(sb, "%-6s %7u %-11.11s %-5s %-16s %5u %s\n", "guard", e->pid,
		    comm.buf ? comm.buf : "", proto, a, e->port, result[act]);
	sbuf_printf(sb, "  %s guard: %u/%s is kept for ",
		    act == 1 ? "error" : "warning", e->port, proto_name(e->proto));
	sbuf_term_str(sb, r->guard.kept_for, sizeof(r->guard.kept_for));
	sbuf_puts(sb, " (");
	sbuf_term_str(sb, r->guard.rule, sizeof(r->guard.rule));
	sbuf_printf(sb, "); %s[%u] uid %u %s\n", comm.buf ? comm.buf : "", e->pid, e->uid,
		    act == 1 ? "was refused" :
		    act == 2 ? "would have been refused (audit)" :
		    "holds it now and would be refused");
	sbuf_free(&comm);
}
