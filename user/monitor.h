/* The watch loop: ring buffer -> records -> stdout, until stopped. */
#ifndef BW_MONITOR_H
#define BW_MONITOR_H

#include <signal.h>
#include "loader.h"
#include "registry.h"
#include "policy.h"

/* Where JSON records go instead of stdout (the daemon's log). */
struct bw_line_sink {
	/* one complete NDJSON record, no newline; 0 or -errno */
	int (*line)(void *ctx, const char *line, size_t len);
	/* once per loop (~100 ms) and at exit (final = 1): flush policy */
	int (*tick)(void *ctx, int final);
	/* SIGHUP: reopen, reload; may change opts->registry */
	int (*hup)(void *ctx);
	void *ctx;
};

struct monitor_opts {
	struct bw_loader_opts load;
	int json;
	double duration;	/* seconds, 0: until stopped */
	unsigned int grace_ms;	/* cgroup backend: how long an attempt waits
				 * for its success before it counts as failed */
	unsigned int poll_ms;	/* longest an event waits in the ring */
	size_t max_sockets;	/* bound on the port table */
	const struct registry *registry;	/* port claims, may be NULL */
	const char *container;	/* only this container (id prefix or name), or NULL */
	__u32 netns;		/* only this netns inode, 0: all */
	const char *data_root;	/* prefix for runtime files on disk ("" = /) */
	const struct bw_line_sink *sink;	/* NULL: stdout */
	volatile sig_atomic_t *hup;	/* set by SIGHUP; the loop calls sink->hup */
	int drop_privs;		/* after attach and snapshot: see privs.h */
	/* guard: enforce this policy (monitor_run owns it from entry), or NULL */
	struct policy *policy;
	const char *policy_path;	/* re-read on SIGHUP */
	int guard_audit;		/* report, never refuse */
};

/*
 * Load, attach, print the ready line, report until *stop is set or the
 * duration passes, print the summary.  Returns 0 or -errno; on a load
 * failure, *why names the step.
 */
int monitor_run(const struct monitor_opts *o, volatile sig_atomic_t *stop,
		const char **why);

#endif
