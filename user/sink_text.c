/* The terminal sink: fixed columns, kernel strings neutralised. */
#include <errno.h>
#include <stdlib.h>
#include "log.h"
#include "output.h"
#include "sink_stream.h"
#include "sinks.h"

static int t_ready(void *ctx, const struct bw_ready *r)
{
	struct sink_stream *s = ctx;
	int err;

	p_warn("watching inet bind/listen/close (backend %s); Ctrl-C to stop", r->backend);
	err = sink_stream__end(s, output_text_header(sink_stream__begin(s)));
	return err ? err : sink_stream__flush(s);
}

static int t_record(void *ctx, const struct bw_record *r)
{
	struct sink_stream *s = ctx;

	return sink_stream__end(s, output_text_record(sink_stream__begin(s), r));
}

static int t_gap(void *ctx, const struct bw_gap *g)
{
	struct sink_stream *s = ctx;

	return sink_stream__end(s, output_text_gap(sink_stream__begin(s), g));
}

static int t_summary(void *ctx, const struct bw_summary *sum)
{
	struct sink_stream *s = ctx;

	return sink_stream__end(s, output_text_summary(sink_stream__begin(s), sum));
}

static int t_flush(void *ctx, int final)
{
	(void)final;
	return sink_stream__flush(ctx);
}

static void t_destroy(void *ctx)
{
	if (!ctx)
		return;
	sink_stream__fini(ctx);
	free(ctx);
}

static const struct bw_sink_ops text_ops = {
	.name = "text",
	.ready = t_ready,
	.record = t_record,
	.gap = t_gap,
	.flush = t_flush,
	.summary = t_summary,
	.destroy = t_destroy,
};

int sink_text__new(FILE *f, size_t max_record, struct bw_sink *out)
{
	struct sink_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	sink_stream__init(s, f, max_record);
	out->ops = &text_ops;
	out->ctx = s;
	return 0;
}
