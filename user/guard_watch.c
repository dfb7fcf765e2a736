/* The port guard wired into the watch loop (see guard_watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "guard.h"
#include "guard_watch.h"
#include "log.h"
#include "monitor.h"
#include "snapshot.h"

#define GUARD_JOB_NS 1000000000ull	/* cgroup ids and losses, once a second */

struct guard_watch {
	const char *path;	/* re-read on SIGHUP */
	int audit;
	struct policy *policy;	/* until on_load hands it to the guard */
	struct guard *guard;
	struct monitor *m;
	struct bw_record *rec;	/* scratch: ~20 KiB, not on the stack */
	__u64 dropped_seen;	/* the guard's drop counter at the last look */
	int held_checked;
	char err[768];		/* the last reload's failure, for its record */
};

int guard_watch__new(const char *policy_path, int audit, struct guard_watch **out,
		     char *err, size_t errlen)
{
	struct guard_watch *gw = calloc(1, sizeof(*gw));
	int ret;

	if (!gw || !(gw->rec = calloc(1, sizeof(*gw->rec)))) {
		free(gw);
		snprintf(err, errlen, "failed to allocate the guard: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	gw->path = policy_path;
	gw->audit = audit;
	ret = policy__load(policy_path, &gw->policy, err, errlen);
	if (ret) {
		guard_watch__free(gw);
		return ret;
	}
	*out = gw;
	return 0;
}

/* One event of the guard's ring: a record, and a refusal decides the attempt. */
static int on_guard_event(void *ctx, void *data, size_t size)
{
	struct guard_watch *gw = ctx;
	struct bw_record *r = gw->rec;

	if (guard__decode(gw->guard, data, size, r))
		return 0;
	r->exe[0] = 0;
	r->container.runtime[0] = 0;
	r->container.cgroup[0] = 0;
	r->netns_name[0] = 0;
	/* first: the watch's bind record (EPERM, guard) comes before this one */
	if (r->guard.action == BW_GUARD_ACT_DENY)
		monitor__refused(gw->m, r->ev.cookie, r->ev.req_port);
	monitor__report(gw->m, r);
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* A socket that holds a guarded port against its rule, found at start. */
static void on_held(const struct bw_record *r, void *ctx)
{
	struct guard_watch *gw = ctx;

	*gw->rec = *r;
	gw->rec->ev.ts_ns = mono_ns();
	monitor__report(gw->m, gw->rec);
}

static void guard_job(void *ctx, __u64 now)
{
	struct guard_watch *gw = ctx;
	__u64 dropped = 0;

	/* after the ready record: the rules today's holders would break */
	if (!gw->held_checked) {
		struct snapshot snap;

		gw->held_checked = 1;
		if (!snapshot__take(&snap, -1, 0, 1)) {
			guard__check_holders(gw->guard, &snap, on_held, gw);
			snapshot__free(&snap);
		} else {
			p_warn("guard: failed to list today's holders of guarded ports");
		}
	}
	/* a unit restarted has a new cgroup id */
	guard__refresh(gw->guard);
	if (!guard__dropped(gw->guard, &dropped) && dropped > gw->dropped_seen) {
		monitor__lost(gw->m, BW_GAP_GUARD_DROPS, dropped - gw->dropped_seen, dropped,
			      "guard ring buffer full: refusals happened and were not reported",
			      now);
		gw->dropped_seen = dropped;
	}
}

int guard_watch__on_load(void *ctx, struct monitor *m, struct bw_loader *l,
			 struct ring_buffer *rb, const char **why)
{
	struct guard_watch *gw = ctx;
	const struct policy *p;
	int err;

	(void)l;
	gw->m = m;
	/* the guard owns the policy from here, also on failure */
	err = guard__open(gw->policy, gw->audit, NULL, &gw->guard, why);
	gw->policy = NULL;
	if (err)
		return err;
	err = ring_buffer__add(rb, guard__ring_fd(gw->guard), on_guard_event, gw);
	if (err < 0) {
		*why = "add the guard's ring buffer";
		return err;
	}
	err = monitor__add_hook(m, "guard");
	if (!err && gw->audit)
		err = monitor__add_hook(m, "guard_audit");
	if (!err)
		err = monitor__every(m, GUARD_JOB_NS, guard_job, gw);
	if (err) {
		*why = "add the guard to the watch loop";
		return err;
	}
	p = guard__policy(gw->guard);
	p_warn("guard: %zu rules from %s %s", p->n, p->file,
	       gw->audit ? "audited (nothing refused)" : "enforced");
	return 0;
}

int guard_watch__reload(struct guard_watch *gw, const char **why)
{
	char err[512] = "";
	int ret;

	if (!gw->guard)
		return 0;
	ret = guard__reload(gw->guard, gw->path, err, sizeof(err));
	if (ret) {
		snprintf(gw->err, sizeof(gw->err), "policy not reloaded, the old rules stay in "
			 "force: %s", err[0] ? err : strerror(-ret));
		p_err("%s", gw->err);
		*why = gw->err;
		return ret;
	}
	p_info("policy reloaded from %s (%zu rules)", gw->path, guard__policy(gw->guard)->n);
	return 0;
}

void guard_watch__free(struct guard_watch *gw)
{
	if (!gw)
		return;
	guard__free(gw->guard);
	policy__free(gw->policy);
	free(gw->rec);
	free(gw);
}
