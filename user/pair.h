/*
 * Pairing: the first stage after the ring buffer.  The cgroup backend sees a
 * bind() in two events (an attempt, then a success only if it worked) and a
 * listen() as a tentative event that a failure may follow.  This stage holds
 * those until their answer comes or the grace time passes, and hands on one
 * decided event per call, in order.
 *
 * Pure: no clocks (time is passed in), no I/O, no /proc.  What needs the
 * system (the errno of an attempt that got no success) is asked through a
 * callback, so the whole stage is table-tested (tests/unit/test_pair.c).
 */
#ifndef BW_PAIR_H
#define BW_PAIR_H

#include <linux/types.h>
#include "bindwatch.h"

/* One decided event. */
struct pair_decided {
	struct bw_event ev;	/* kind is never BW_EV_BIND_ATTEMPT: an attempt
				 * is decided as BW_EV_BIND */
	int err;		/* positive errno, 0 on success */
	int inferred;		/* err deduced, not returned by the kernel */
	int undecided;		/* the answer may have been among events the
				 * kernel dropped: neither success nor failure
				 * is known (err is 0) */
	int guard;		/* err is EPERM from the port guard (user/guard.c):
				 * refused by a policy, not a collision */
};

struct pair_ops {
	/* The errno of an attempt that got no success (infer.c's guess). */
	int (*infer)(void *ctx, const struct bw_event *e);
	/* One decided event.  The pointer is valid during the call only. */
	void (*decided)(void *ctx, const struct pair_decided *d);
	void *ctx;
};

struct pair_opts {
	__u64 grace_ns;		/* how long an attempt waits for its answer */
	unsigned int max_pending;	/* queue bound; full: the oldest is decided */
	int listen_err_inferred;	/* the backend learns a listen failure from
					 * the kernel's path, not its return value */
};

struct pair;

/* 0 or -ENOMEM.  ops is copied. */
int pair__new(const struct pair_opts *o, const struct pair_ops *ops, struct pair **out);
void pair__free(struct pair *p);	/* accepts NULL; decides nothing */

/* One event from the ring buffer, in ring order. */
void pair__event(struct pair *p, const struct bw_event *e);

/* Decide what waited longer than the grace time at now_mono (CLOCK_MONOTONIC ns). */
void pair__expire(struct pair *p, __u64 now_mono);

/* Decide everything still waiting (at exit). */
void pair__drain(struct pair *p);

/*
 * The kernel dropped events at or before now_mono.  An attempt made before
 * then whose success never comes is decided as undecided, not as a failure:
 * its success may be one of the dropped events.  Likewise a tentative
 * listen whose failure never comes (unless another socket's failure on its
 * port shows it holds the port).
 */
void pair__drops(struct pair *p, __u64 now_mono);

/*
 * The port guard refused the bind of socket cookie to req_port (0: a bind
 * to port 0, refused in post_bind).  Its attempt, waiting now or read
 * later, is decided as EPERM from the guard, never inferred (a refused
 * bind is never also reported as a collision); likewise a failed bind event
 * of that socket.  The guard has its own ring buffer, read after the
 * watch's, so its word may come before or after the attempt: the last
 * PAIR_REFUSED_MAX refusals are remembered until an attempt takes them.
 */
#define PAIR_REFUSED_MAX 64
void pair__refused(struct pair *p, __u64 cookie, __u16 req_port);

unsigned int pair__pending(const struct pair *p);

#endif
