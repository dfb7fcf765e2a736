/* The NDJSON sink on a stream: one object per line, the contract in README. */
#include <errno.h>
#include <stdlib.h>
#include "output.h"
#include "sink_stream.h"
#include "sinks.h"

static int j_emit(struct sink_stream *s, enum output_kind k, const void *obj)
{
	struct sbuf *sb = sink_stream__begin(s);
	int err = output_json(sb, k, obj);

	if (!err)
		sbuf_putc(sb, '\n');
	return sink_stream__end(s, err);
}

static int j_ready(void *ctx, const struct bw_ready *r)
{
	int err = j_emit(ctx, OUT_READY, r);

	/* readers wait for this line before they start: no buffering */
	return err ? err : sink_stream__flush(ctx);
}

static int j_record(void *ctx, const struct bw_record *r) { return j_emit(ctx, OUT_RECORD, r); }
static int j_gap(void *ctx, const struct bw_gap *g) { return j_emit(ctx, OUT_GAP, g); }
static int j_reload(void *ctx, const struct bw_reload *r) { return j_emit(ctx, OUT_RELOAD, r); }
static int j_summary(void *ctx, const struct bw_summary *s) { return j_emit(ctx, OUT_SUMMARY, s); }

static int j_flush(void *ctx, int final)
{
	(void)final;
	return sink_stream__flush(ctx);
}

static void j_destroy(void *ctx)
{
	if (!ctx)
		return;
	sink_stream__fini(ctx);
	free(ctx);
}

static const struct bw_sink_ops json_ops = {
	.name = "json",
	.ready = j_ready,
	.record = j_record,
	.gap = j_gap,
	.reload = j_reload,
	.flush = j_flush,
	.summary = j_summary,
	.destroy = j_destroy,
};

int sink_json__new(FILE *f, size_t max_record, struct bw_sink *out)
{
	struct sink_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	sink_stream__init(s, f, max_record);
	out->ops = &json_ops;
	out->ctx = s;
	return 0;
}
