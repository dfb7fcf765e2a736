/*
 * The port guard, agent side: load bpf/guard.bpf.c, attach it to the
 * cgroup-v2 root with BPF links, write a policy into it, swap policies on
 * reload, and turn its events into records.
 *
 * Wiring into a watch loop takes: guard__open() after the watch is attached
 * (so the watch's cgroup programs run first), ring_buffer__add() of
 * guard__ring_fd() with a callback that calls guard__decode(), guard__reload()
 * on SIGHUP, guard__refresh() about once a second, guard__free() at exit.
 */
#ifndef BW_GUARD_AGENT_H
#define BW_GUARD_AGENT_H

#include <stddef.h>
#include <linux/types.h>
#include "policy.h"
#include "record.h"
#include "snapshot.h"

struct guard;

/*
 * Load and attach the guard with policy p (whose cgroups are resolved here;
 * the guard owns p from now on, also on failure).  audit: never refuse,
 * only report.  cgroup_root NULL: found in /proc/self/mountinfo.  Returns 0
 * and *out, or -errno and *why (static) names the step that failed.
 */
int guard__open(struct policy *p, int audit, const char *cgroup_root, struct guard **out,
		const char **why);

/* The guard's ring buffer (struct bw_guard_event records). */
int guard__ring_fd(const struct guard *g);

/*
 * One ring-buffer record into out: ev (kind BW_EV_BIND, err EPERM for a
 * refusal, 0 for an audit hit) and out->guard (action, rule "FILE:LINE",
 * kept_for).  Fills only what the event says; the caller adds exe,
 * container, netns name.  Returns 0, or -EINVAL for a short record.
 */
int guard__decode(const struct guard *g, const void *data, size_t len, struct bw_record *out);

/*
 * Read the policy at path and swap it in at once (the kernel judges each bind
 * by the old or by the new policy, never a mix).  On a bad file returns
 * -errno with err "FILE:LINE: what is wrong" and the old policy stays.
 */
int guard__reload(struct guard *g, const char *path, char *err, size_t errlen);

/* Look the policy's cgroups up again (a unit restarted gets a new cgroup id);
 * returns how many changed, 0 or more. */
int guard__refresh(struct guard *g);

/*
 * The sockets in s that hold a guarded port without being allowed to (the
 * holder's uid, cgroup from /proc/PID/cgroup, comm): one record each
 * (guard.action BW_GUARD_ACT_HELD) passed to cb.  Returns how many.
 */
int guard__check_holders(const struct guard *g, const struct snapshot *s,
			 void (*cb)(const struct bw_record *r, void *ctx), void *ctx);

/* Refusals the kernel could not report (guard ring buffer full). */
int guard__dropped(const struct guard *g, __u64 *out);

const struct policy *guard__policy(const struct guard *g);

/* Detach (enforcement ends) and free; accepts NULL. */
void guard__free(struct guard *g);

#endif
