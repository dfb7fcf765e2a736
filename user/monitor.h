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

struct monitor_opts {
	struct bw_loader_opts load;
	double duration;	/* seconds, 0: until stopped */
	unsigned int grace_ms;	/* cgroup backend: how long an attempt waits
				 * for its success before it counts as failed */
	unsigned int poll_ms;	/* longest an event waits in the ring */
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
	/* After attaching, before the first read: add rings of one's own
	 * (ring_buffer__add(rb, fd, cb, ctx)) or look at the loader.  0 or
	 * -errno with *why; may be NULL. */
	int (*on_load)(void *ctx, struct bw_loader *l, struct ring_buffer *rb,
		       const char **why);
	void *on_load_ctx;
	int drop_privs;		/* after attach and snapshot: see privs.h */
};

/*
 * Load, attach, send ready to the sinks, report until *stop is set or the
 * duration passes, send the summary.  Returns 0 or -errno; on failure,
 * *why names the step.
 */
int monitor_run(const struct monitor_opts *o, volatile sig_atomic_t *stop, const char **why);

#endif
