/* The fan-out: one decided thing to every sink, a gap where one could not. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "sinks.h"

static __u64 wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static int first(int err, int e)
{
	return err ? err : e;
}

int sinks__ready(const struct bw_sink *v, int n, const struct bw_ready *r)
{
	int err = 0;

	for (int i = 0; i < n; i++)
		if (v[i].ops->ready)
			err = first(err, v[i].ops->ready(v[i].ctx, r));
	return err;
}

int sinks__record(const struct bw_sink *v, int n, const struct bw_record *r,
		  struct bw_summary *sum)
{
	int err = 0, e;

	for (int i = 0; i < n; i++) {
		if (!v[i].ops->record)
			continue;
		e = v[i].ops->record(v[i].ctx, r);
		if (e == -ENOMEM) {
			/* the record is not written at all: say so where it is missing */
			struct bw_gap g = { BW_GAP_RECORD, 1, ++sum->unrendered, wall_ns(),
					    "out of memory building the record" };

			e = v[i].ops->gap ? v[i].ops->gap(v[i].ctx, &g) : 0;
			if (e == -ENOMEM)	/* nothing more to do: counted */
				e = 0;
		}
		err = first(err, e);
	}
	return err;
}

int sinks__gap(const struct bw_sink *v, int n, const struct bw_gap *g)
{
	int err = 0;

	for (int i = 0; i < n; i++)
		if (v[i].ops->gap)
			err = first(err, v[i].ops->gap(v[i].ctx, g));
	return err;
}

int sinks__reload(const struct bw_sink *v, int n, const struct bw_reload *r)
{
	int err = 0;

	for (int i = 0; i < n; i++)
		if (v[i].ops->reload)
			err = first(err, v[i].ops->reload(v[i].ctx, r));
	return err;
}

int sinks__flush(const struct bw_sink *v, int n, int final)
{
	int err = 0;

	for (int i = 0; i < n; i++)
		if (v[i].ops->flush)
			err = first(err, v[i].ops->flush(v[i].ctx, final));
	return err;
}

int sinks__summary(const struct bw_sink *v, int n, const struct bw_summary *s)
{
	int err = 0;

	for (int i = 0; i < n; i++)
		if (v[i].ops->summary)
			err = first(err, v[i].ops->summary(v[i].ctx, s));
	return err;
}

int sinks__hup(const struct bw_sink *v, int n, const char **name)
{
	int err = 0, e;

	for (int i = 0; i < n; i++) {
		if (!v[i].ops->hup)
			continue;
		e = v[i].ops->hup(v[i].ctx);
		if (e && !err) {
			err = e;
			*name = v[i].ops->name;
		}
	}
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
