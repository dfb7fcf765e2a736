/* The fan-out: one decided thing to every sink, a gap where one could not. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "output.h"
#include "sinks.h"

static __u64 wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* One sink, one thing of kind k; 0 when the sink has nothing to do for it. */
static int one(const struct bw_sink *s, enum output_kind k, const void *obj)
{
	const struct bw_sink_ops *o = s->ops;

	switch (k) {
	case OUT_READY:
		return o->ready ? o->ready(s->ctx, obj) : 0;
	case OUT_RECORD:
		return o->record ? o->record(s->ctx, obj) : 0;
	case OUT_GAP:
		return o->gap ? o->gap(s->ctx, obj) : 0;
	case OUT_RELOAD:
		return o->reload ? o->reload(s->ctx, obj) : 0;
	case OUT_SUMMARY:
		return o->summary ? o->summary(s->ctx, obj) : 0;
	}
	return -EINVAL;
}

/* Every sink has its turn; the first error is returned. */
static int all(const struct bw_sink *v, int n, enum output_kind k, const void *obj)
{
	int err = 0, e;

	for (int i = 0; i < n; i++)
		if ((e = one(&v[i], k, obj)) && !err)
			err = e;
	return err;
}

int sinks__ready(const struct bw_sink *v, int n, const struct bw_ready *r)
{
	return all(v, n, OUT_READY, r);
}

int sinks__gap(const struct bw_sink *v, int n, const struct bw_gap *g)
{
	return all(v, n, OUT_GAP, g);
}

int sinks__reload(const struct bw_sink *v, int n, const struct bw_reload *r)
{
	return all(v, n, OUT_RELOAD, r);
}

int sinks__summary(const struct bw_sink *v, int n, const struct bw_summary *s)
{
	return all(v, n, OUT_SUMMARY, s);
}

int sinks__record(const struct bw_sink *v, int n, const struct bw_record *r,
		  struct bw_summary *sum)
{
	int err = 0, e;

	for (int i = 0; i < n; i++) {
		e = one(&v[i], OUT_RECORD, r);
		if (e == -ENOMEM) {
			/* the record is not written at all: say so where it is missing */
			struct bw_gap g = { BW_GAP_RECORD, 1, ++sum->unrendered, wall_ns(),
					    "out of memory building the record" };

			e = one(&v[i], OUT_GAP, &g);
			if (e == -ENOMEM)	/* nothing more to do: counted */
				e = 0;
		}
		if (e && !err)
			err = e;
	}
	return err;
}

int sinks__flush(const struct bw_sink *v, int n, int final)
{
	int err = 0, e;

	for (int i = 0; i < n; i++)
		if (v[i].ops->flush && (e = v[i].ops->flush(v[i].ctx, final)) && !err)
			err = e;
	return err;
}

int sinks__hup(const struct bw_sink *v, int n, const char **name)
{
	int err = 0, e;

	for (int i = 0; i < n; i++) {
		if (v[i].ops->hup && (e = v[i].ops->hup(v[i].ctx)) && !err) {
			err = e;
			*name = v[i].ops->name;
		}
	}
	return err;
}

int sinks__stats(const struct bw_sink *v, int n, const struct bw_stats *s)
{
	int err = 0, e;

	for (int i = 0; i < n; i++)
		if (v[i].ops->stats && (e = v[i].ops->stats(v[i].ctx, s)) && !err)
			err = e;
	return err;
}

void sinks__destroy(struct bw_sink *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (v[i].ops && v[i].ops->destroy)
			v[i].ops->destroy(v[i].ctx);
		v[i].ops = NULL;
		v[i].ctx = NULL;
	}
}
