/*
 * The sealed log as a sink: each record rendered whole, then sealed and
 * appended by logfile.c.  What logw's API does not say by its return values
 * (records lost to a full disk, a failed reopen) is looked for here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "logfile.h"
#include "output.h"
#include "sinks.h"

struct sink_log {
	struct logw *w;
	struct sbuf line;
	size_t max_record;
	__u64 lost_seen;	/* logw__lost() at the last flush */
};

static int l_emit(struct sink_log *s, enum output_kind k, const void *obj)
{
	int err;

	sbuf_reset(&s->line);
	s->line.oom = 0;
	s->line.limit = s->max_record ? s->max_record + 1 : 0;
	err = output_json(&s->line, k, obj);
	if (err)		/* never seal a record cut short */
		return err;
	return logw__append(s->w, s->line.buf, s->line.len);
}

static int l_ready(void *ctx, const struct bw_ready *r) { return l_emit(ctx, OUT_READY, r); }
static int l_record(void *ctx, const struct bw_record *r) { return l_emit(ctx, OUT_RECORD, r); }
static int l_gap(void *ctx, const struct bw_gap *g) { return l_emit(ctx, OUT_GAP, g); }
static int l_reload(void *ctx, const struct bw_reload *r) { return l_emit(ctx, OUT_RELOAD, r); }
static int l_summary(void *ctx, const struct bw_summary *s) { return l_emit(ctx, OUT_SUMMARY, s); }

static int l_flush(void *ctx, int final)
{
	struct sink_log *s = ctx;
	int err = logw__tick(s->w, final);
	__u64 lost = logw__lost(s->w);

	/* logw__tick() does not fail on a write error: the loss shows in the
	 * count (and as a gap record once writing works again) */
	if (lost > s->lost_seen) {
		p_warn("%llu records could not be written to the log (%llu in all)",
		       (unsigned long long)(lost - s->lost_seen), (unsigned long long)lost);
		s->lost_seen = lost;
	}
	return err;
}

static int l_hup(void *ctx)
{
	struct sink_log *s = ctx;
	int err = logw__reopen(s->w);

	if (err)
		p_err("failed to reopen the log: %s", strerror(-err));
	else
		p_info("log reopened");
	return err;
}

static void l_destroy(void *ctx)
{
	struct sink_log *s = ctx;

	if (!s)
		return;
	sbuf_free(&s->line);
	free(s);
}

static const struct bw_sink_ops log_ops = {
	.name = "log",
	.ready = l_ready,
	.record = l_record,
	.gap = l_gap,
	.reload = l_reload,
	.flush = l_flush,
	.summary = l_summary,
	.hup = l_hup,
	.destroy = l_destroy,
};

int sink_log__new(struct logw *w, size_t max_record, struct bw_sink *out)
{
	struct sink_log *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->w = w;
	s->max_record = max_record;
	sbuf_init(&s->line);
	out->ops = &log_ops;
	out->ctx = s;
	return 0;
}
