/* Records to NDJSON (through the one JSON writer) and to text lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "json_writer.h"
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

static void json_container(struct jw *w, const struct container_info *c)
{
	container_json(jw_raw_value(w), c);
}

static void json_holder(struct jw *w, const struct bw_holder *h)
{
	char a[64];

	addr_str(h->family, h->addr, a, sizeof(a));
	jw_start_object(w);
	jw_name(w, "pid");
	if (h->pid)
		jw_uint(w, h->pid);
	else
		jw_null(w);
	jw_name(w, "comm");
	jw_string_or_null(w, h->comm, sizeof(h->comm));
	jw_name(w, "exe");
	jw_string_or_null(w, h->exe, sizeof(h->exe));
	jw_uint_field(w, "uid", h->uid);
	jw_uint_field(w, "netns", h->netns);
	jw_string_field(w, "family", family_name(h->family));
	jw_string_field(w, "proto", proto_name(h->proto));
	jw_string_field(w, "addr", a);
	jw_uint_field(w, "port", h->port);
	jw_string_field(w, "state", h->listening ? "listening" : "bound");
	jw_uint_field(w, "inode", h->inode);
	jw_uint_field(w, "sock", h->cookie);
	jw_name(w, "since");
	if (h->since_ns)
		jw_ts(w, h->since_ns);
	else
		jw_null(w);
	jw_name(w, "container");
	json_container(w, &h->container);
	jw_end_object(w);
}

void output_json_holder(struct sbuf *sb, const struct bw_holder *h)
{
	struct jw w;

	jw_init(&w, sb);
	json_holder(&w, h);
}

static void json_flag(struct jw *w, const struct bw_flag *f)
{
	jw_start_object(w);
	jw_name(w, "kind");
	jw_string_n(w, f->kind, sizeof(f->kind));
	jw_name(w, "severity");
	jw_string_n(w, f->severity, sizeof(f->severity));
	if (f->service[0]) {
		jw_name(w, "service");
		jw_string_n(w, f->service, sizeof(f->service));
	}
	jw_name(w, "message");
	jw_string_n(w, f->message, sizeof(f->message));
	jw_end_object(w);
}

int output_json_record(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], eb[16];
	struct jw w;
	int i;

	addr_str(e->family, e->addr, a, sizeof(a));
	jw_init(&w, sb);
	jw_start_object(&w);
	jw_string_field(&w, "event", kind_name(e->kind));
	jw_ts_field(&w, "ts", r->ts_real_ns);
	jw_uint_field(&w, "pid", e->pid);
	jw_uint_field(&w, "tid", e->tid);
	jw_uint_field(&w, "uid", e->uid);
	jw_name(&w, "comm");
	jw_string_n(&w, e->comm, sizeof(e->comm));
	jw_name(&w, "exe");
	jw_string_or_null(&w, r->exe, sizeof(r->exe));
	jw_uint_field(&w, "cgroup_id", e->cgroup_id);
	jw_uint_field(&w, "netns", e->netns);
	jw_string_field(&w, "family", family_name(e->family));
	jw_string_field(&w, "proto", proto_name(e->proto));
	jw_string_field(&w, "addr", a);
	jw_uint_field(&w, "port", e->port);
	jw_uint_field(&w, "requested_port", e->req_port);
	jw_name(&w, "opts");
	json_opts(&w, e->opts);
	if (r->netns_name[0]) {
		jw_name(&w, "netns_name");
		jw_string_n(&w, r->netns_name, sizeof(r->netns_name));
	}
	if (e->bound_dev_if)
		jw_uint_field(&w, "ifindex", e->bound_dev_if);
	jw_name(&w, "errno");
	if (r->err) {
		jw_string(&w, errno_name(r->err, eb, sizeof(eb)));
		jw_string_field(&w, "errno_source", r->err_inferred ? "inferred" : "kernel");
	} else {
		jw_null(&w);
	}
	/* the kernel dropped events while this bind waited for its answer */
	if (r->undecided)
		jw_string_field(&w, "outcome", "unknown");
	jw_name(&w, "ret");
	jw_int(&w, r->err ? -r->err : 0);
	jw_uint_field(&w, "sock", e->cookie);
	jw_name(&w, "holders");
	jw_start_array(&w);
	for (i = 0; i < r->nholders; i++)
		json_holder(&w, &r->holders[i]);
	jw_end_array(&w);
	jw_name(&w, "flags");
	jw_start_array(&w);
	for (i = 0; i < r->nflags; i++)
		json_flag(&w, &r->flags[i]);
	jw_end_array(&w);
	jw_name(&w, "container");
	json_container(&w, &r->container);
	jw_end_object(&w);
	return done(sb);
}

int output_json_ready(struct sbuf *sb, const struct bw_ready *r)
{
	struct jw w;

	jw_init(&w, sb);
	jw_start_object(&w);
	jw_string_field(&w, "event", "ready");
	jw_string_field(&w, "backend", r->backend);
	jw_string_field(&w, "version", r->version);
	jw_name(&w, "hooks");
	jw_start_array(&w);
	for (const char *const *h = r->hooks; h && *h; h++)
		jw_string(&w, *h);
	jw_end_array(&w);
	if (r->ts_real_ns)
		jw_ts_field(&w, "ts", r->ts_real_ns);
	jw_end_object(&w);
	return done(sb);
}

int output_json_summary(struct sbuf *sb, const struct bw_summary *s)
{
	struct jw w;

	jw_init(&w, sb);
	jw_start_object(&w);
	jw_string_field(&w, "event", "summary");
	jw_uint_field(&w, "events", s->events);
	jw_uint_field(&w, "dropped", s->dropped);
	jw_uint_field(&w, "untracked", s->untracked);
	jw_uint_field(&w, "table_full", s->table_full);
	jw_uint_field(&w, "undecided", s->undecided);
	jw_uint_field(&w, "unrendered", s->unrendered);
	jw_uint_field(&w, "binds", s->binds);
	jw_uint_field(&w, "listens", s->listens);
	jw_uint_field(&w, "closes", s->closes);
	jw_uint_field(&w, "failed", s->failed);
	jw_name(&w, "seconds");
	jw_float(&w, "%.3f", s->seconds);
	jw_end_object(&w);
	return done(sb);
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
	}
	return "unknown";
}

int output_json_gap(struct sbuf *sb, const struct bw_gap *g)
{
	struct jw w;

	jw_init(&w, sb);
	jw_start_object(&w);
	/* ring-buffer drops keep their own record name: users count them */
	if (g->kind == BW_GAP_DROPS) {
		jw_string_field(&w, "event", "drops");
		jw_ts_field(&w, "ts", g->ts_real_ns);
		jw_uint_field(&w, "dropped", g->count);
	} else {
		jw_string_field(&w, "event", "gap");
		jw_string_field(&w, "kind", gap_kind_name(g->kind));
		jw_ts_field(&w, "ts", g->ts_real_ns);
		jw_uint_field(&w, "count", g->count);
	}
	jw_uint_field(&w, "total", g->total);
	if (g->why)
		jw_string_field(&w, "why", g->why);
	jw_end_object(&w);
	return done(sb);
}

int output_json_reload(struct sbuf *sb, const struct bw_reload *r)
{
	struct jw w;

	jw_init(&w, sb);
	jw_start_object(&w);
	jw_string_field(&w, "event", "reload");
	jw_ts_field(&w, "ts", r->ts_real_ns);
	jw_bool_field(&w, "ok", r->ok);
	if (r->what)
		jw_string_field(&w, "what", r->what);
	if (r->why)
		jw_string_field(&w, "why", r->why);
	jw_end_object(&w);
	return done(sb);
}

int output_json(struct sbuf *sb, enum output_kind k, const void *obj)
{
	switch (k) {
	case OUT_READY:
		return output_json_ready(sb, obj);
	case OUT_RECORD:
		return output_json_record(sb, obj);
	case OUT_GAP:
		return output_json_gap(sb, obj);
	case OUT_RELOAD:
		return output_json_reload(sb, obj);
	case OUT_SUMMARY:
		return output_json_summary(sb, obj);
	}
	return -EINVAL;
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

int output_text_record(struct sbuf *sb, const struct bw_record *r)
{
	const struct bw_event *e = &r->ev;
	char a[64], eb[16], tbuf[16], proto[8];
	time_t sec = (time_t)(r->ts_real_ns / 1000000000ull);
	struct tm tm;
	int i;

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
			    r->err_inferred ? "?" : "");
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
	return done(sb);
}

int output_text_summary(struct sbuf *sb, const struct bw_summary *s)
{
	sbuf_printf(sb, "%llu events (%llu binds, %llu listens, %llu closes, "
		    "%llu failed), %llu dropped, %.1f s\n",
		    (unsigned long long)s->events, (unsigned long long)s->binds,
		    (unsigned long long)s->listens, (unsigned long long)s->closes,
		    (unsigned long long)s->failed, (unsigned long long)s->dropped,
		    s->seconds);
	return done(sb);
}

int output_text_gap(struct sbuf *sb, const struct bw_gap *g)
{
	sbuf_printf(sb, "-- %llu lost (%s, %llu in all)%s%s\n", (unsigned long long)g->count,
		    gap_kind_name(g->kind), (unsigned long long)g->total, g->why ? ": " : "",
		    g->why ? g->why : "");
	return done(sb);
}
