/* The part every sink shares: render whole, then hand to the transport. */
#include <errno.h>
#include <stdlib.h>
#include "sink_core.h"

struct sink_core {
	sink_render_fn render;
	size_t max_record;
	const struct sink_transport *t;
	void *tctx;
	struct sbuf text;
	struct bw_sink_ops ops;	/* core_ops, named after the transport */
};

static int core_emit(struct sink_core *c, enum output_kind k, const void *obj)
{
	int err;

	sbuf_reset(&c->text);
	c->text.oom = 0;
	c->text.limit = c->max_record ? c->max_record + 1 : 0;
	err = c->render(&c->text, k, obj);
	if (err)	/* never hand on a record cut short */
		return err;
	return c->t->deliver(c->tctx, k, obj, c->text.buf ? c->text.buf : "", c->text.len);
}

static int c_ready(void *ctx, const struct bw_ready *r) { return core_emit(ctx, OUT_READY, r); }
static int c_record(void *ctx, const struct bw_record *r) { return core_emit(ctx, OUT_RECORD, r); }
static int c_gap(void *ctx, const struct bw_gap *g) { return core_emit(ctx, OUT_GAP, g); }
static int c_reload(void *ctx, const struct bw_reload *r) { return core_emit(ctx, OUT_RELOAD, r); }
static int c_summary(void *ctx, const struct bw_summary *s) { return core_emit(ctx, OUT_SUMMARY, s); }

static int c_flush(void *ctx, int final)
{
	struct sink_core *c = ctx;

	return c->t->flush ? c->t->flush(c->tctx, final) : 0;
}

static int c_hup(void *ctx)
{
	struct sink_core *c = ctx;

	return c->t->hup ? c->t->hup(c->tctx) : 0;
}

static void c_destroy(void *ctx)
{
	struct sink_core *c = ctx;

	if (!c)
		return;
	c->t->destroy(c->tctx);
	sbuf_free(&c->text);
	free(c);
}

static const struct bw_sink_ops core_ops = {
	.name = "core",
	.ready = c_ready,
	.record = c_record,
	.gap = c_gap,
	.reload = c_reload,
	.flush = c_flush,
	.summary = c_summary,
	.hup = c_hup,
	.destroy = c_destroy,
};

int sink_core__new(sink_render_fn render, size_t max_record, const struct sink_transport *t,
		   void *tctx, struct bw_sink *out)
{
	struct sink_core *c = calloc(1, sizeof(*c));

	if (!c) {
		t->destroy(tctx);
		return -ENOMEM;
	}
	c->render = render;
	c->max_record = max_record;
	c->t = t;
	c->tctx = tctx;
	sbuf_init(&c->text);
	c->ops = core_ops;
	c->ops.name = t->name;
	out->ops = &c->ops;
	out->ctx = c;
	return 0;
}
