/*
 * The watch loop: read ring -> pair -> enrich -> sinks.  Nothing here
 * renders or prints a record; the stages are pair.c, enrich.c and the sinks.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "cgroup2.h"
#include "claims.h"
#include "enrich.h"
#include "log.h"
#include "monitor.h"
#include "pair.h"
#include "privs.h"
#include "record.h"
#include "logfile.h"
#include "sinks.h"
#include "snapshot.h"

#define PENDING_MAX 4096
#define MAX_JOBS 4		/* monitor__every() */
#define MAX_EXTRA_HOOKS 4	/* monitor__add_hook() */

/* A periodic job of what on_load added (the guard's cgroup refresh). */
struct job {
	__u64 period, next;
	void (*fn)(void *ctx, __u64 now);
	void *ctx;
};

struct monitor {
	const struct monitor_opts *o;
	struct pair *pair;
	struct enrich *en;
	struct bw_loader *l;
	struct bw_record rec;	/* the one being reported */
	struct bw_summary sum;
	__u64 real_minus_mono;	/* wall clock = monotonic + this */
	__u64 dropped_seen;	/* kernel drop counter at the last look */
	__u64 lost_other;	/* what other rings lost (monitor__lost) */
	int sink_err;		/* first fatal sink error */
	struct job jobs[MAX_JOBS];
	int njobs;
	const char *extra_hooks[MAX_EXTRA_HOOKS];
	int nextra_hooks;
};

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void note_sink_err(struct monitor *m, int err)
{
	if (err && !m->sink_err)
		m->sink_err = err;
}

/* pair -> enrich -> sinks, for one decided event. */
static void on_decided(void *ctx, const struct pair_decided *d)
{
	struct monitor *m = ctx;
	struct bw_record *r = &m->rec;

	if (!enrich__record(m->en, d, m->o->registry, m->real_minus_mono, r))
		return;
	m->sum.events++;
	switch (r->ev.kind) {
	case BW_EV_BIND:
		m->sum.binds++;
		break;
	case BW_EV_LISTEN:
		m->sum.listens++;
		break;
	case BW_EV_CLOSE:
		m->sum.closes++;
		break;
	}
	if (r->err)
		m->sum.failed++;
	if (r->undecided)
		m->sum.undecided++;
	note_sink_err(m, sinks__record(m->o->sinks, m->o->nsinks, r, &m->sum));
}

/* ring -> pair. */
static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct monitor *m = ctx;

	if (size >= sizeof(struct bw_event))
		pair__event(m->pair, data);
	return 0;
}

int monitor__add_hook(struct monitor *m, const char *name)
{
	if (m->nextra_hooks >= MAX_EXTRA_HOOKS)
		return -ENOSPC;
	m->extra_hooks[m->nextra_hooks++] = name;
	return 0;
}

int monitor__every(struct monitor *m, __u64 period_ns, void (*fn)(void *ctx, __u64 now),
		   void *ctx)
{
	if (m->njobs >= MAX_JOBS)
		return -ENOSPC;
	m->jobs[m->njobs++] = (struct job){ period_ns, 0, fn, ctx };
	return 0;
}

/* The jobs that are due (all of them when final). */
static void run_jobs(struct monitor *m, __u64 now, int final)
{
	for (int i = 0; i < m->njobs; i++) {
		struct job *j = &m->jobs[i];

		if (!final && now < j->next)
			continue;
		j->next = now + j->period;
		j->fn(j->ctx, now);
	}
}

void monitor__refused(struct monitor *m, __u64 cookie, __u16 req_port)
{
	pair__refused(m->pair, cookie, req_port);
}

void monitor__report(struct monitor *m, struct bw_record *r)
{
	r->ts_real_ns = r->ev.ts_ns + m->real_minus_mono;
	enrich__other(m->en, r);
	m->sum.events++;
	note_sink_err(m, sinks__record(m->o->sinks, m->o->nsinks, r, &m->sum));
}

void monitor__lost(struct monitor *m, enum bw_gap_kind kind, __u64 count, __u64 total,
		   const char *why, __u64 now_mono)
{
	struct bw_gap g = { kind, count, total, now_mono + m->real_minus_mono, why };

	pair__drops(m->pair, now_mono);
	m->lost_other += count;
	note_sink_err(m, sinks__gap(m->o->sinks, m->o->nsinks, &g));
}

/* The ready record's hooks: the loader's, then those on_load added. */
static const char **ready_hooks(struct monitor *m)
{
	const char *const *lh = loader__hooks(m->l);
	const char **v;
	size_t n = 0, k = 0;

	while (lh && lh[n])
		n++;
	v = calloc(n + (size_t)m->nextra_hooks + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[k++] = lh[i];
	for (int i = 0; i < m->nextra_hooks; i++)
		v[k++] = m->extra_hooks[i];
	return v;
}

/* Tell the kernel which ports an outbound connection should not take. */
static void watch_claimed_ports(struct monitor *m)
{
	static __u8 bitmap[BW_PORT_BITMAP_BYTES];
	int err;

	claims_watch_bitmap(m->o->registry, bitmap);
	err = loader__watch_ports(m->l, bitmap);
	if (err)
		p_warn("failed to load the claimed ports into the kernel: %s", strerror(-err));
}

/*
 * Ring-buffer drops since the last look are a gap (how many, when), and the
 * pairing stage must not read a missing answer as a failure across them.
 */
static void check_drops(struct monitor *m, __u64 now)
{
	__u64 dropped = 0;

	if (loader__counter(m->l, BW_CNT_DROPPED, &dropped) || dropped <= m->dropped_seen)
		return;
	pair__drops(m->pair, now);
	enrich__drops(m->en);
	{
		struct bw_gap g = { BW_GAP_DROPS, dropped - m->dropped_seen, dropped,
				    now + m->real_minus_mono, NULL };

		note_sink_err(m, sinks__gap(m->o->sinks, m->o->nsinks, &g));
	}
	m->dropped_seen = dropped;
}

/* Counters for the sinks that export them (metrics), once per loop. */
static void send_stats(struct monitor *m, __u64 now)
{
	struct bw_stats st = { .dropped = m->dropped_seen, .ts_mono_ns = now };

	loader__counter(m->l, BW_CNT_UNTRACKED, &st.untracked);
	st.table_sockets = enrich__tracked(m->en);
	st.log_records = m->o->log ? logw__records(m->o->log) : 0;
	note_sink_err(m, sinks__stats(m->o->sinks, m->o->nsinks, &st));
}

/* SIGHUP: the sinks reopen, the caller reloads, one reload record says how. */
static void handle_hup(struct monitor *m, __u64 now)
{
	const struct monitor_opts *o = m->o;
	struct bw_reload rl = { 1, o->reload_what ? o->reload_what : "sinks,registry", NULL,
				now + m->real_minus_mono };
	const char *sink_name = NULL, *why = NULL;
	int err;

	*o->hup = 0;
	err = sinks__hup(o->sinks, o->nsinks, &sink_name);
	if (err) {
		rl.ok = 0;
		rl.why = sink_name;	/* the sink logged the reason */
	}
	if (o->reload && o->reload(o->reload_ctx, &why)) {
		rl.ok = 0;
		if (!rl.why)
			rl.why = why;
	}
	watch_claimed_ports(m);
	note_sink_err(m, sinks__reload(o->sinks, o->nsinks, &rl));
}

/* Attached first, then the snapshot: a socket bound in between is seen by
 * both, and the table merges them by cookie. */
static int seed_from_snapshot(struct monitor *m, const char **why)
{
	struct snapshot snap;
	double t0 = (double)now_ns(CLOCK_MONOTONIC);
	int err = snapshot__take(&snap, -1, 0, 1);

	if (err) {
		*why = "take the start-up snapshot of bound sockets (sock_diag)";
		return err;
	}
	if (snap.diag_missing)
		p_warn("the kernel has no sock_diag for TCP or UDP (modprobe inet_diag "
		       "tcp_diag udp_diag): sockets bound before bindwatch started "
		       "cannot be named as holders");
	err = enrich__seed(m->en, &snap);
	p_info("snapshot: %zu bound sockets in %.1f ms", snap.n,
	       ((double)now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	snapshot__free(&snap);
	if (err)
		*why = "load the snapshot into the port table";
	return err;
}

static int infer_cb(void *ctx, const struct bw_event *e)
{
	return enrich__infer(((struct monitor *)ctx)->en, e);
}

static int make_enrich(struct monitor *m, const char **why)
{
	const struct monitor_opts *o = m->o;
	char root[1024] = "/sys/fs/cgroup";
	struct enrich_opts eo = { o->max_sockets, o->container, o->netns,
				  o->load.failed_only, root, o->data_root };
	int err;

	find_cgroup2_root(root, sizeof(root));
	err = enrich__new(&eo, &m->en);
	if (err)
		*why = "allocate the port table and caches";
	return err;
}

/* After the load: whether a listen failure is inferred depends on the backend. */
static int make_pair(struct monitor *m, const char **why)
{
	struct pair_ops ops = { infer_cb, on_decided, m };
	struct pair_opts po = { (__u64)m->o->grace_ms * 1000000ull, PENDING_MAX,
				!strncmp(loader__backend(m->l), "cgroup", 6) };
	int err = pair__new(&po, &ops, &m->pair);

	if (err)
		*why = "allocate the pairing queue";
	return err;
}

int monitor_run(const struct monitor_opts *o, volatile sig_atomic_t *stop, const char **why)
{
	struct ring_buffer *rb = NULL;
	const char **hooks = NULL;
	struct monitor *m;
	__u64 start, deadline = 0;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->o = o;
	err = make_enrich(m, why);
	if (err)
		goto cleanup;
	err = loader__open(&o->load, &m->l, why);
	if (err)
		goto cleanup;
	err = make_pair(m, why);
	if (err)
		goto cleanup;
	/* loading parsed the kernel's BTF (megabytes, freed now): give it back */
	malloc_trim(0);
	err = seed_from_snapshot(m, why);
	if (err)
		goto cleanup;
	watch_claimed_ports(m);
	rb = ring_buffer__new(loader__ringbuf_fd(m->l), on_ring_event, m, NULL);
	if (!rb) {
		err = -errno;
		*why = "create the ring buffer reader";
		goto cleanup;
	}
	/* before privileges go: raising one's priority needs CAP_SYS_NICE.
	 * On Linux this sets the calling thread's nice value; threads made
	 * later (metrics) inherit it. */
	if (o->priority && setpriority(PRIO_PROCESS, 0, -(int)o->priority))
		p_info("could not raise the reader's priority by %u (%s): a bind "
		       "storm may overflow the ring (drops are counted)",
		       o->priority, strerror(errno));
	/* before privileges go: what it attaches needs them (the guard) */
	if (o->on_load && (err = o->on_load(o->on_load_ctx, m, m->l, rb, why)))
		goto cleanup;
	if (o->drop_privs) {
		err = drop_privileges();
		if (err) {
			*why = "drop capabilities after attaching";
			goto cleanup;
		}
	}
	start = now_ns(CLOCK_MONOTONIC);
	m->real_minus_mono = now_ns(CLOCK_REALTIME) - start;
	if (o->duration > 0)
		deadline = start + (__u64)(o->duration * 1e9);
	hooks = ready_hooks(m);
	if (!hooks) {
		err = -ENOMEM;
		*why = "list the attached hooks";
		goto cleanup;
	}
	{
		struct bw_ready rd = { loader__backend(m->l), BW_VERSION, hooks,
				       start + m->real_minus_mono };

		err = sinks__ready(o->sinks, o->nsinks, &rd);
		if (err) {
			*why = "write the ready record";
			goto cleanup;
		}
	}
	while (!*stop) {
		__u64 now;

		err = ring_buffer__poll(rb, (int)o->poll_ms);
		if (err < 0 && err != -EINTR) {
			*why = "read the ring buffer";
			goto cleanup;
		}
		/* Batched wakeups: the poll may time out with data waiting. */
		ring_buffer__consume(rb);
		now = now_ns(CLOCK_MONOTONIC);
		/* drops first: an attempt that waited across them is undecided */
		check_drops(m, now);
		pair__expire(m->pair, now);
		run_jobs(m, now, 0);
		if (o->hup && *o->hup)
			handle_hup(m, now);
		note_sink_err(m, sinks__flush(o->sinks, o->nsinks, 0));
		send_stats(m, now);
		if (m->sink_err) {
			err = m->sink_err;
			*why = "write the records";
			goto cleanup;
		}
		if (deadline && now >= deadline)
			break;
	}
	/* Drain: whatever the kernel committed before we stop is reported. */
	ring_buffer__consume(rb);
	check_drops(m, now_ns(CLOCK_MONOTONIC));
	run_jobs(m, now_ns(CLOCK_MONOTONIC), 1);	/* their last losses, before the totals */
	pair__drain(m->pair);
	err = loader__counter(m->l, BW_CNT_DROPPED, &m->sum.dropped);
	m->sum.dropped += m->lost_other;
	if (!err)
		err = loader__counter(m->l, BW_CNT_UNTRACKED, &m->sum.untracked);
	if (err) {
		*why = "read the drop counters";
		goto cleanup;
	}
	m->sum.table_full = enrich__table_full(m->en);
	m->sum.seconds = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
	note_sink_err(m, sinks__summary(o->sinks, o->nsinks, &m->sum));
	if (m->sum.untracked)
		p_warn("%llu sockets were not tracked (kernel state table full); "
		       "their close may go unreported", (unsigned long long)m->sum.untracked);
	if (m->sum.dropped)
		p_warn("%llu events were dropped in the kernel (ring buffer full); "
		       "raise --ringbuf", (unsigned long long)m->sum.dropped);
	if (m->sum.unrendered)
		p_warn("%llu records could not be built (out of memory); each left a gap record",
		       (unsigned long long)m->sum.unrendered);
	note_sink_err(m, sinks__flush(o->sinks, o->nsinks, 1));
	err = m->sink_err;
	if (err)
		*why = "write the records";
cleanup:
	free(hooks);
	ring_buffer__free(rb);
	loader__free(m->l);
	pair__free(m->pair);
	enrich__free(m->en);
	free(m);
	return err;
}
