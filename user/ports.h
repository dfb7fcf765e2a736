/* The live port table: who holds which (netns, protocol, port), kept current
 * by bind/listen/close events after a start-up snapshot. */
#ifndef BW_PORTS_H
#define BW_PORTS_H

#include <stddef.h>
#include <linux/types.h>
#include "conflict.h"
#include "record.h"

/*
 * One tracked socket: an 88-byte entry in a 96-byte hash node.  The
 * table holds at most the max given to ports__new(); past that a bind is
 * counted in ports__untracked() instead of being stored.
 */
struct port_entry {
	struct sock_desc d;
	__u64 cookie;
	__u64 since_ns;		/* wall clock of the bind (0: before we started) */
	__u64 cgroup_id;
	__u32 pid;
	__u8 kernel_chose;	/* bound with port 0 */
	char comm[BW_COMM_LEN];
};

struct ports;

struct ports *ports__new(size_t max_entries);
void ports__free(struct ports *p);	/* accepts NULL */

/* Add or update (same cookie) an entry; 0, -ENOSPC when full, -ENOMEM. */
int ports__upsert(struct ports *p, const struct port_entry *e);
/* Mark the entry with this key and cookie listening; -ENOENT if unknown. */
int ports__set_listening(struct ports *p, const struct sock_desc *key, __u64 cookie);
/* Remove the entry with this key and cookie; 0 or -ENOENT. */
int ports__remove(struct ports *p, const struct sock_desc *key, __u64 cookie);

/*
 * Call fn for every entry on (netns, proto, port) of key; fn returns
 * non-zero to stop.  Entries must not be added or removed meanwhile.
 */
void ports__for_port(const struct ports *p, const struct sock_desc *key,
		     int (*fn)(const struct port_entry *e, void *arg), void *arg);

size_t ports__count(const struct ports *p);
__u64 ports__untracked(const struct ports *p);

#endif
