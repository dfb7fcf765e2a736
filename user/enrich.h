/*
 * Enrich: the stage after pairing.  A decided event becomes a record with
 * what the system knows about it now: the executable, the container, the
 * netns name, holders and flags from the port table, registry claims.  The
 * port table learns every decided event, also those the filters hide.
 */
#ifndef BW_ENRICH_H
#define BW_ENRICH_H

#include <stddef.h>
#include "pair.h"
#include "record.h"
#include "registry.h"

struct snapshot;

struct enrich_opts {
	size_t max_sockets;	/* bound on the port table */
	const char *container;	/* only this container (id prefix or name), or NULL */
	__u32 netns;		/* only this netns inode, 0: all */
	int failed_only;	/* successes teach the table, are not reported */
	const char *cgroup_root; /* the cgroup-v2 mount */
	const char *data_root;	/* prefix for runtime files on disk ("" = /) */
};

struct enrich;

/* 0 or -errno. */
int enrich__new(const struct enrich_opts *o, struct enrich **out);
void enrich__free(struct enrich *en);	/* accepts NULL */
/* Sockets in the port table now (bindwatch_port_table_sockets). */
size_t enrich__tracked(const struct enrich *en);

/* The sockets bound before the agent started; 0 or -errno. */
int enrich__seed(struct enrich *en, const struct snapshot *s);
/*
 * The kernel dropped events: closes may be among them, so the port table's
 * holders are checked against the kernel before they are named again.
 */
void enrich__drops(struct enrich *en);
/* Sockets the port table had no room for, since start. */
__u64 enrich__table_full(const struct enrich *en);

/*
 * Fill r for d (wall clock = monotonic + real_minus_mono).  Returns 1 when
 * the record is to be reported, 0 when a filter hides it.
 */
int enrich__record(struct enrich *en, const struct pair_decided *d,
		   const struct registry *reg, __u64 real_minus_mono, struct bw_record *r);

/*
 * A record from another source (the port guard, guard.action set): its exe,
 * container and netns name.  A bind the guard undid in post_bind (a bind to
 * port 0 whose chosen port is kept for someone else) was learned as bound
 * from the watch's own post_bind: the port table forgets it, so it is never
 * named as a holder.  Filters do not hide it: a refusal is always reported.
 */
void enrich__other(struct enrich *en, struct bw_record *r);

/* The pairing stage's infer callback: a failed attempt's errno, from /proc
 * (CAP_NET_BIND_SERVICE), the netns's addresses and the sysctl. */
int enrich__infer(struct enrich *en, const struct bw_event *e);

#endif
