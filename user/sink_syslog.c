/* syslog(3) as a sink (and so the journal): NDJSON text, priority from the
 * record's fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "output.h"
#include "sinks.h"

struct sink_syslog {
	struct sbuf line;
	size_t max_record;
};

int sink_syslog__priority(const struct bw_record *r)
{
	if (r->err || r->undecided)
		return LOG_WARNING;
	for (int i = 0; i < r->nflags && i < BW_MAX_FLAGS; i++)
		if (!strcmp(r->flags[i].severity, "error"))
			return LOG_WARNING;
	return LOG_INFO;
}

static int sl_emit(struct sink_syslog *s, enum output_kind k, const void *obj, int prio)
{
	int err;

	sbuf_reset(&s->line);
	s->line.oom = 0;
	s->line.limit = s->max_record ? s->max_record + 1 : 0;
	err = output_json(&s->line, k, obj);
	if (err)
		return err;
	syslog(prio, "%s", s->line.buf);
	return 0;
}

static int sl_ready(void *ctx, const struct bw_ready *r)
{
	return sl_emit(ctx, OUT_READY, r, LOG_INFO);
}

static int sl_record(void *ctx, const struct bw_record *r)
{
	return sl_emit(ctx, OUT_RECORD, r, sink_syslog__priority(r));
}

static int sl_gap(void *ctx, const struct bw_gap *g)
{
	return sl_emit(ctx, OUT_GAP, g, LOG_WARNING);
}

static int sl_reload(void *ctx, const struct bw_reload *r)
{
	return sl_emit(ctx, OUT_RELOAD, r, r->ok ? LOG_INFO : LOG_WARNING);
}

static int sl_summary(void *ctx, const struct bw_summary *sum)
{
	return sl_emit(ctx, OUT_SUMMARY, sum, LOG_INFO);
}

static void sl_destroy(void *ctx)
{
	struct sink_syslog *s = ctx;

	if (!s)
		return;
	sbuf_free(&s->line);
	free(s);
	closelog();
}

static const struct bw_sink_ops syslog_ops = {
	.name = "syslog",
	.ready = sl_ready,
	.record = sl_record,
	.gap = sl_gap,
	.reload = sl_reload,
	.summary = sl_summary,
	.destroy = sl_destroy,
};

int sink_syslog__new(size_t max_record, struct bw_sink *out)
{
	struct sink_syslog *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->max_record = max_record;
	sbuf_init(&s->line);
	openlog("bindwatch", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	out->ops = &syslog_ops;
	out->ctx = s;
	return 0;
}
