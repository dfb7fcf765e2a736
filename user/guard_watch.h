/*
 * The port guard inside the watch loop: what `bindwatch guard` (and
 * `bindwatch daemon --policy`) adds to monitor_run through its hooks.
 *
 *   guard_watch__new()      reads the policy, whole or nothing, before
 *                           anything is attached (a bad file stops the agent)
 *   guard_watch__on_load()  the monitor's on_load hook: loads and attaches the
 *                           guard after the watch (whose cgroup programs then
 *                           run first and still see the attempt), adds the
 *                           guard's ring, names "guard" (and "guard_audit")
 *                           in the ready record, and adds a one-second job:
 *                           holders that break a rule (first run), cgroup ids
 *                           looked up again, guard ring losses as gap records
 *   guard_watch__reload()   SIGHUP, from the caller's reload callback
 *
 * Each guard event is a record (guard.action set) through monitor__report,
 * and a refusal also decides the watch's attempt (monitor__refused).
 */
#ifndef BW_GUARD_WATCH_H
#define BW_GUARD_WATCH_H

#include <stddef.h>

struct guard_watch;
struct monitor;
struct bw_loader;
struct ring_buffer;

/* 0 and *out, or -errno with err "FILE:LINE: what is wrong" (or
 * "FILE: <strerror>"). */
int guard_watch__new(const char *policy_path, int audit, struct guard_watch **out,
		     char *err, size_t errlen);

/* monitor_opts.on_load with ctx the guard_watch.  0 or -errno with *why. */
int guard_watch__on_load(void *ctx, struct monitor *m, struct bw_loader *l,
			 struct ring_buffer *rb, const char **why);

/* Read the policy file again and swap it in at once; a bad file keeps the
 * rules in force and returns -errno with *why "FILE:LINE: ..." (owned by
 * gw, valid until the next reload).  0 before on_load: nothing to reload. */
int guard_watch__reload(struct guard_watch *gw, const char **why);

/* Detach (enforcement ends here) and free; accepts NULL. */
void guard_watch__free(struct guard_watch *gw);

#endif
