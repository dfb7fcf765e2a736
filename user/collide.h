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

#endif
