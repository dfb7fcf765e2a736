/* Records to NDJSON (through the one JSON writer) and to text lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "json_writer.h"
#include "output.h"
#include "flag.h"
#include "holder.h"

/* A record is whole or not written: a cut one must never reach a sink. */
static int done(const struct sbuf *sb)
{
	return sb->oom ? -ENOMEM : 0;
}

static void json_opts(struct jw *w, __u8 opts)
{
	jw_start_array(w);
	for (int i = 0; i < 6; i++)
		if (opts & (1u << i))
			jw_string(w, bw_opt_names[i]);
	jw_end_array(w);
}

/* family, proto, addr, port: the same four fields for events and holders */
static void json_endpoint(struct jw *w, __u16 family, __u8 proto, const __u8 addr[16],
			  __u16 port)
{
	char a[64];

	addr_str(family, addr, a, sizeof(a));
	jw_string_field(w, "family", family_name(family));
	jw_string_field(w, "proto", proto_name(proto));
	jw_string_field(w, "addr", a);
	jw_uint_field(w, "port", port);
}

void output_json_holder_fields(struct jw *w, const struct bw_holder *h)
{
	jw_name(w, "pid");
	if (h->pid)
		jw_uint(w, h->pid);
	else
		jw_null(w);
	jw_string_or_null_field(w, "comm", h->comm, sizeof(h->comm));
	jw_string_or_null_field(w, "exe", h->exe, sizeof(h->exe));
	jw_uint_field(w, "uid", h->uid);
	jw_uint_field(w, "netns", h->netns);
	json_endpoint(w, h->family, h->proto, h->addr, h->port);
	jw_string_field(w, "state", h->listening ? "listening" : "bound");
	jw_uint_field(w, "inode", h->inode);
	jw_uint_field(w, "sock", h->cookie);
	jw_name(w, "since");
	if (h->since_ns)
		jw_ts(w, h->since_ns);
	else
		jw_null(w);
	holder_json_procs(w, h);
	jw_name(w, "container");
	container_json(w, &h->container);
}

static void json_holder(struct jw *w, const struct bw_holder *h)
{
	jw_start_object(w);
	output_json_holder_fields(w, h);
	jw_end_object(w);
}

static void json_flag(struct jw *w, const struct bw_flag *f)
{
	jw_start_object(w);
	jw_string_field(w, "kind", flag_kind_name(f->kind));
	jw_string_field(w, "severity", severity_name(f->severity));
	if (f->service[0]) {
		jw_name(w, "service");
		jw_string_n(w, f->service, sizeof(f->service));
	}
	jw_name(w, "message");
	jw_string_n(w, f->message, sizeof(f->message));
	jw_end_object(w);
}

/* ---- the port guard's records (bw_record with guard.action set) */

static const char *guard_action(int action)
{
	switch (action) {
	case BW_GUARD_ACT_DENY:
		return "deny";
	case BW_GUARD_ACT_AUDIT:
		return "audit";
	case BW_GUARD_ACT_HELD:
		return "held";
	}
	return "unknown";
}

/* Who made the call and where it ran: the same fields, in the same order,
 * for a plain bind record and a guard record. */
static void json_process(struct jw *w, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;

	jw_uint_field(w, "pid", e->pid);
	jw_uint_field(w, "tid", e->tid);
	jw_uint_field(w, "uid", e->uid);
	jw_name(w, "comm");
	jw_string_n(w, e->comm, sizeof(e->comm));
	jw_string_or_null_field(w, "exe", r->exe, sizeof(r->exe));
	jw_uint_field(w, "cgroup_id", e->cgroup_id);
	jw_uint_field(w, "netns", e->netns);
}

/* A refusal, an audit hit, or a holder found breaking a rule at start. */
static void json_guard(struct jw *w, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	const char *k = r->guard.kept_for;
	char eb[16];

	jw_string_field(w, "action", guard_action(r->guard.action));
	jw_ts_field(w, "ts", r->ts_real_ns);
	jw_name(w, "rule");
	jw_string_n(w, r->guard.rule, sizeof(r->guard.rule));
	/* "cgroup:/a,uid:0" as a list */
	jw_name(w, "kept_for");
	jw_start_array(w);
	while (*k) {
		size_t n = strcspn(k, ",");

		if (n)
			jw_string_n(w, k, n);
		k += n;
		if (*k == ',')
			k++;
	}
	jw_end_array(w);
	jw_string_field(w, "hook", r->guard.post_bind ? "post_bind" : "bind");
	json_process(w, r);
	if (r->netns_name[0]) {
		jw_name(w, "netns_name");
		jw_string_n(w, r->netns_name, sizeof(r->netns_name));
	}
	json_endpoint(w, e->family, e->proto, e->addr, e->port);
	jw_name(w, "errno");
	if (r->err) {
		jw_string(w, errno_name(r->err, eb, sizeof(eb)));
		jw_string_field(w, "errno_source", "guard");
	} else {
		jw_null(w);
	}
	jw_uint_field(w, "sock", e->cookie);
	jw_name(w, "container");
	container_json(w, &r->container);
}

/* The fields of each kind after "event"; the caller opens and closes. */
static void json_record(struct jw *w, const void *obj)
{
	const struct bw_record *r = obj;
	const struct bw_event *e = &r->ev;
	char eb[16];
	int i;

	if (r->guard.action) {
		json_guard(w, r);
		return;
	}
	jw_ts_field(w, "ts", r->ts_real_ns);
	json_process(w, r);
	json_endpoint(w, e->family, e->proto, e->addr, e->port);
	jw_uint_field(w, "requested_port", e->req_port);
	jw_name(w, "opts");
	json_opts(w, e->opts);
	if (r->netns_name[0]) {
		jw_name(w, "netns_name");
		jw_string_n(w, r->netns_name, sizeof(r->netns_name));
	}
	if (e->bound_dev_if)
		jw_uint_field(w, "ifindex", e->bound_dev_if);
	jw_name(w, "errno");
	if (r->err) {
		jw_string(w, errno_name(r->err, eb, sizeof(eb)));
		jw_string_field(w, "errno_source", r->err_guard ? "guard" :
						   r->err_inferred ? "inferred" : "kernel");
	} else {
		jw_null(w);
	}
	/* the kernel dropped events while this bind waited for its answer */
	if (r->undecided)
		jw_string_field(w, "outcome", "unknown");
	jw_name(w, "ret");
	jw_int(w, r->err ? -r->err : 0);
	jw_uint_field(w, "sock", e->cookie);
	jw_name(w, "holders");
	jw_start_array(w);
	for (i = 0; i < r->nholders; i++)
		json_holder(w, &r->holders[i]);
	jw_end_array(w);
	jw_name(w, "flags");
	jw_start_array(w);
	for (i = 0; i < r->nflags; i++)
		json_flag(w, &r->flags[i]);
	jw_end_array(w);
	jw_name(w, "container");
	container_json(w, &r->container);
}

static void json_ready(struct jw *w, const void *obj)
{
	const struct bw_ready *r = obj;
	jw_string_field(w, "backend", r->backend);
	jw_string_field(w, "version", r->version);
	jw_name(w, "hooks");
	jw_start_array(w);
	for (const char *const *h = r->hooks; h && *h; h++)
		jw_string(w, *h);
	jw_end_array(w);
	if (r->ts_real_ns)
		jw_ts_field(w, "ts", r->ts_real_ns);
}

static void json_summary(struct jw *w, const void *obj)
{
	const struct bw_summary *s = obj;
	const struct { const char *name; __u64 v; } counts[] = {
		{ "events", s->events }, { "dropped", s->dropped }, { "untracked", s->untracked },
		{ "table_full", s->table_full }, { "undecided", s->undecided },
		{ "unrendered", s->unrendered }, { "binds", s->binds }, { "listens", s->listens },
		{ "closes", s->closes }, { "failed", s->failed },
	};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		jw_uint_field(w, counts[i].name, counts[i].v);
	jw_name(w, "seconds");
	jw_float(w, "%.3f", s->seconds);
}

const char *gap_kind_name(enum bw_gap_kind k)
{
	switch (k) {
	case BW_GAP_DROPS:
		return "drops";
	case BW_GAP_RECORD:
		return "unrendered";
	case BW_GAP_WRITE:
		return "write";
	case BW_GAP_TABLE_FULL:
		return "table_full";
	case BW_GAP_CUT:
		return "cut";
	case BW_GAP_GUARD_DROPS:
		return "guard_drops";
	}
	return "unknown";
}

static void json_gap(struct jw *w, const void *obj)
{
	const struct bw_gap *g = obj;
	/* ring-buffer drops keep their own record ("drops", "dropped"): users
	 * count them; every other gap is a "gap" record of a kind */
	if (g->kind != BW_GAP_DROPS)
		jw_string_field(w, "kind", gap_kind_name(g->kind));
	jw_ts_field(w, "ts", g->ts_real_ns);
	jw_uint_field(w, g->kind == BW_GAP_DROPS ? "dropped" : "count", g->count);
	jw_uint_field(w, "total", g->total);
	if (g->why)
		jw_string_field(w, "why", g->why);
}

static void json_reload(struct jw *w, const void *obj)
{
	const struct bw_reload *r = obj;
	jw_ts_field(w, "ts", r->ts_real_ns);
	jw_bool_field(w, "ok", r->ok);
	if (r->what)
		jw_string_field(w, "what", r->what);
	if (r->why)
		jw_string_field(w, "why", r->why);
}

static const char *event_name(enum output_kind k, const void *obj)
{
	switch (k) {
	case OUT_READY:
		return "ready";
	case OUT_RECORD:
		return ((const struct bw_record *)obj)->guard.action ? "guard" :
		       kind_name(((const struct bw_record *)obj)->ev.kind);
	case OUT_GAP:
		return ((const struct bw_gap *)obj)->kind == BW_GAP_DROPS ? "drops" : "gap";
	case OUT_RELOAD:
		return "reload";
	case OUT_SUMMARY:
		return "summary";
	}
	return "unknown";
}

/* The fields after "event", by kind. */
static void (*const json_fields[])(struct jw *w, const void *obj) = {
	[OUT_READY] = json_ready,
	[OUT_RECORD] = json_record,
	[OUT_GAP] = json_gap,
	[OUT_RELOAD] = json_reload,
	[OUT_SUMMARY] = json_summary,
};

int output_json(struct sbuf *sb, enum output_kind k, const void *obj)
{
	struct jw w;

	jw_init(&w, sb);
	jw_start_object(&w);
	jw_string_field(&w, "event", event_name(k, obj));
	if (k >= 0 && (size_t)k < sizeof(json_fields) / sizeof(json_fields[0]))
		json_fields[k](&w, obj);
	jw_end_object(&w);
	return done(sb);
}

int output_json_record(struct sbuf *sb, const struct bw_record *r)
{
	return output_json(sb, OUT_RECORD, r);
}

int output_json_ready(struct sbuf *sb, const struct bw_ready *r)
{
	return output_json(sb, OUT_READY, r);
}

int output_text_header(struct sbuf *sb)
{
	sbuf_printf(sb, "%-8s %-6s %7s %-11s %-5s %-16s %5s %s\n", "TIME", "EVENT",
		    "PID", "COMM", "PROTO", "ADDRESS", "PORT", "RESULT");
	return done(sb);
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

/* Two lines: the columns, then what the rule keeps and for whom. */
static int text_guard(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], tbuf[16], proto[8];
	time_t sec = (time_t)(r->ts_real_ns / 1000000000ull);
	struct tm tm;
	int act = r->guard.action;

	localtime_r(&sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	addr_str(e->family, e->addr, a, sizeof(a));
	snprintf(proto, sizeof(proto), "%s%c", proto_name(e->proto),
		 e->family == 10 ? '6' : '4');
	/* a holder found at start has no event time: it was there before us */
	sbuf_printf(sb, "%-8s %-6s %7u ", act == BW_GUARD_ACT_HELD ? "start" : tbuf, "guard",
		    e->pid);
	sbuf_term_col(sb, e->comm, sizeof(e->comm), 11);
	sbuf_printf(sb, " %-5s %-16s %5u %s", proto, a, e->port,
		    act == BW_GUARD_ACT_DENY ? "EPERM guard" :
		    act == BW_GUARD_ACT_AUDIT ? "audit" : "held");
	container_text(sb, &r->container);
	sbuf_printf(sb, "\n  %s guard: %u/%s is kept for ",
		    act == BW_GUARD_ACT_DENY ? "error" : "warning", e->port, proto_name(e->proto));
	sbuf_term_str(sb, r->guard.kept_for, sizeof(r->guard.kept_for));
	sbuf_puts(sb, " (");
	sbuf_term_str(sb, r->guard.rule, sizeof(r->guard.rule));
	sbuf_puts(sb, "); ");
	sbuf_term_str(sb, e->comm, sizeof(e->comm));
	sbuf_printf(sb, "[%u] uid %u %s\n", e->pid, e->uid,
		    act == BW_GUARD_ACT_DENY ? "was refused" :
		    act == BW_GUARD_ACT_AUDIT ? "would have been refused (audit)" :
		    "holds it now and would be refused");
	return done(sb);
}

int output_text_record(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], eb[16], tbuf[16], proto[8];
	time_t sec = (time_t)(r->ts_real_ns / 1000000000ull);
	struct tm tm;
	int i;

	if (r->guard.action)
		return text_guard(sb, r);
	localtime_r(&sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	addr_str(e->family, e->addr, a, sizeof(a));
	snprintf(proto, sizeof(proto), "%s%c", proto_name(e->proto),
		 e->family == 10 ? '6' : '4');
	sbuf_printf(sb, "%-8s %-6s %7u ", tbuf, kind_name(e->kind), e->pid);
	/* escaped, then cut to the column: never in the middle of an escape */
	sbuf_term_col(sb, e->comm, sizeof(e->comm), 11);
	sbuf_printf(sb, " %-5s %-16s %5u ", proto, a, e->port);
	if (e->kind == BW_EV_CLOSE)
		sbuf_puts(sb, (e->flags & BW_F_LISTENING) ? "was listening" : "released");
	else if (r->undecided)
		sbuf_puts(sb, "unknown (events dropped)");
	else if (r->err)
		sbuf_printf(sb, "%s%s", errno_name(r->err, eb, sizeof(eb)),
			    r->err_guard ? " guard" : r->err_inferred ? "?" : "");
	else
		sbuf_puts(sb, "ok");
	text_opts(sb, e->opts);
	container_text(sb, &r->container);
	sbuf_putc(sb, '\n');
	for (i = 0; i < r->nholders; i++) {
		const struct bw_holder *h = &r->holders[i];
		char ha[64];

		addr_str(h->family, h->addr, ha, sizeof(ha));
		sbuf_puts(sb, "  held by ");
		if (h->pid) {
			sbuf_term_str(sb, h->comm, sizeof(h->comm));
			sbuf_printf(sb, "[%u]", h->pid);
			holder_text_procs(sb, h);
		} else {
			sbuf_printf(sb, "socket inode %llu", (unsigned long long)h->inode);
		}
		sbuf_printf(sb, " uid %u %s %s:%u %s\n", h->uid, proto_name(h->proto), ha,
			    h->port, h->listening ? "listening" : "bound");
	}
	for (i = 0; i < r->nflags; i++) {
		sbuf_printf(sb, "  %s %s: ", severity_name(r->flags[i].severity),
			    flag_kind_name(r->flags[i].kind));
		sbuf_term_str(sb, r->flags[i].message, sizeof(r->flags[i].message));
		sbuf_putc(sb, '\n');
	}
	return done(sb);
}

int output_text_summary(struct sbuf *sb, const struct bw_summary *s)
{
	sbuf_printf(sb, "%llu events (%llu binds, %llu listens, %llu closes, "
		    "%llu failed), %llu dropped",
		    (unsigned long long)s->events, (unsigned long long)s->binds,
		    (unsigned long long)s->listens, (unsigned long long)s->closes,
		    (unsigned long long)s->failed, (unsigned long long)s->dropped);
	/* what was lost or left open is said, not only counted in JSON */
	if (s->undecided)
		sbuf_printf(sb, ", %llu undecided", (unsigned long long)s->undecided);
	if (s->unrendered)
		sbuf_printf(sb, ", %llu not rendered", (unsigned long long)s->unrendered);
	if (s->table_full)
		sbuf_printf(sb, ", %llu not tracked (port table full)",
			    (unsigned long long)s->table_full);
	sbuf_printf(sb, ", %.1f s\n", s->seconds);
	return done(sb);
}

int output_text_gap(struct sbuf *sb, const struct bw_gap *g)
{
	sbuf_printf(sb, "-- %llu lost (%s, %llu in all)%s%s\n", (unsigned long long)g->count,
		    gap_kind_name(g->kind), (unsigned long long)g->total, g->why ? ": " : "",
		    g->why ? g->why : "");
	return done(sb);
}

int output_text(struct sbuf *sb, enum output_kind k, const void *obj)
{
	switch (k) {
	case OUT_READY:
		return output_text_header(sb);
	case OUT_RECORD:
		return output_text_record(sb, obj);
	case OUT_GAP:
		return output_text_gap(sb, obj);
	case OUT_RELOAD:	/* the daemon's business: nothing on a terminal */
		return 0;
	case OUT_SUMMARY:
		return output_text_summary(sb, obj);
	}
	return -EINVAL;
}
