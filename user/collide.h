/* Collisions: who holds a port when a bind or listen fails, and the silent
 * sharing that succeeds (reuseport, dual-stack, ephemeral range). */
#ifndef BW_COLLIDE_H
#define BW_COLLIDE_H

#include <stddef.h>
#include "record.h"

struct collide;
struct proc_cache;
struct snapshot;

/* procs is borrowed and must outlive the collide object. */
struct collide *collide__new(size_t max_entries, struct proc_cache *procs);
void collide__free(struct collide *c);	/* accepts NULL */

/* Load the sockets that existed before the agent started; 0 or -errno. */
int collide__seed(struct collide *c, const struct snapshot *s);

/*
 * For a record about to be reported: fill its holders and flags from the
 * port table (asking the kernel when the table has no holder for a
 * failure), then update the table with it.
 */
void collide__apply(struct collide *c, struct bw_record *r, __u64 now_mono);

size_t collide__tracked(const struct collide *c);

/*
 * Sockets the port table could not take (full, or out of memory): a holder
 * may then be missing from the table, and the collision message says so.
 */
size_t collide__table_full(const struct collide *c);

/*
 * Events were lost (ring buffer drops): the table may keep sockets whose
 * close was never seen.  From now on every holder the table names is
 * checked against the kernel (sock_diag) before it is reported, and one the
 * kernel no longer has is dropped from the table.
 */
void collide__mark_stale(struct collide *c);

#endif
