/*
 * The watch loop: read ring -> pair (pair.c) -> enrich (enrich.c) -> hand
 * the record to every sink (sinks.h), until stopped.
 */
#ifndef BW_MONITOR_H
#define BW_MONITOR_H

#include <signal.h>
#include "loader.h"
#include "registry.h"
#include "sink.h"

struct ring_buffer;
struct monitor;
struct logw;

struct monitor_opts {
	struct bw_loader_opts load;
	double duration;	/* seconds, 0: until stopped */
	unsigned int grace_ms;	/* cgroup backend: how long an attempt waits
				 * for its success before it counts as failed */
	unsigned int poll_ms;	/* longest an event waits in the ring */
	unsigned int priority;	/* nice levels above normal for the reader
				 * (0: leave it).  The programs cost a bind
				 * ~1 us, the reader ~2.6 us per event: two
				 * processes binding in a loop on two CPUs
				 * starve a reader of equal priority and the
				 * ring overflows (counted, but lost).  The
				 * reader is idle when nothing binds, so
				 * priority costs nothing else. */
	size_t max_sockets;	/* bound on the port table */
	const struct registry *registry;	/* port claims, may be NULL; read
						 * again after each reload */
	const char *container;	/* only this container (id prefix or name), or NULL */
	__u32 netns;		/* only this netns inode, 0: all */
	const char *data_root;	/* prefix for runtime files on disk ("" = /) */
	/* Where records go; owned by the caller.  One more output is one
	 * more entry here. */
	struct bw_sink sinks[BW_MAX_SINKS];
	int nsinks;
	volatile sig_atomic_t *hup;	/* set by SIGHUP: sinks' hup, then reload */
	/* SIGHUP: reload what the caller owns (it may replace ->registry);
	 * 0 or -errno with *why; may be NULL. */
	int (*reload)(void *ctx, const char **why);
	void *reload_ctx;
	const char *reload_what;	/* the reload record's "what"; NULL:
					 * "sinks,registry" */
	/* After attaching, before the first read and before privileges are
	 * dropped: add rings of one's own (ring_buffer__add(rb, fd, cb, ctx)),
	 * periodic jobs and ready hooks (the monitor__* calls below, with m),
	 * or look at the loader.  0 or -errno with *why; may be NULL. */
	int (*on_load)(void *ctx, struct monitor *m, struct bw_loader *l,
		       struct ring_buffer *rb, const char **why);
	void *on_load_ctx;
	int drop_privs;		/* after attach and snapshot: see privs.h */
	const struct logw *log;	/* the sealed log, for its record count; or NULL */
};

/*
 * Load, attach, send ready to the sinks, report until *stop is set or the
 * duration passes, send the summary.  Returns 0 or -errno; on failure,
 * *why names the step.
 */
int monitor_run(const struct monitor_opts *o, volatile sig_atomic_t *stop, const char **why);

/*
 * For what on_load added (a ring of its own, e.g. the port guard's): the
 * loop's stages, so its records take the same path as the watch's.
 */

/* One more name in the ready record's "hooks" (static string).  0 or -ENOSPC. */
int monitor__add_hook(struct monitor *m, const char *name);

/*
 * fn(ctx, now) on each loop pass at most every period_ns (0: every pass),
 * first on the first pass after the ready record, last once more after
 * the final drain (before the summary).  now: CLOCK_MONOTONIC ns.
 * 0 or -ENOSPC.
 */
int monitor__every(struct monitor *m, __u64 period_ns, void (*fn)(void *ctx, __u64 now),
		   void *ctx);

/* A bind of socket cookie to req_port was refused by policy: the pairing
 * stage decides its attempt as EPERM from the guard (pair__refused). */
void monitor__refused(struct monitor *m, __u64 cookie, __u16 req_port);

/*
 * A record from another source (guard.action set): enrich (exe, container,
 * netns name; a refused bind the port table learned as bound is forgotten),
 * wall clock from r->ev.ts_ns, then every sink.  r is the caller's scratch.
 */
void monitor__report(struct monitor *m, struct bw_record *r);

/*
 * Events another ring lost (kind, how many this time, how many since
 * start): a gap record to every sink, counted in the summary's "dropped",
 * and attempts waiting now are undecided (their answer may be lost).
 */
void monitor__lost(struct monitor *m, enum bw_gap_kind kind, __u64 count, __u64 total,
		   const char *why, __u64 now_mono);

#endif
