/* The kernel's rules for when two inet sockets may not share a port. Pure. */
#ifndef BW_CONFLICT_H
#define BW_CONFLICT_H

#include <linux/types.h>

struct sock_desc {
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
	__u32 netns;
	__u32 uid;
	__u32 bound_dev_if;
	__u16 family;		/* AF_INET / AF_INET6 */
	__u16 port;
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 opts;		/* BW_OPT_* */
	__u8 listening;		/* TCP: in LISTEN (or becoming it, for the newcomer) */
};

/*
 * Would the kernel refuse newcomer because of holder?  Follows
 * inet_bind_conflict()/inet_csk_bind_conflict() for TCP and
 * udp_lib_lport_inuse() for UDP: same netns, protocol and port; overlapping
 * addresses (wildcards, IPv4 under a dual-stack IPv6 socket); devices that do
 * not differ; and neither SO_REUSEADDR (both set, and for TCP neither
 * listening) nor SO_REUSEPORT (both set, same uid) lets them share.
 * Returns 1 or 0.
 */
int sock_conflicts(const struct sock_desc *newcomer, const struct sock_desc *holder);

/* Do the two sockets' addresses overlap (the port aside)? 1 or 0. */
int addr_overlaps(const struct sock_desc *a, const struct sock_desc *b);

/* Is the address the family's wildcard? */
int addr_is_any(__u16 family, const __u8 *addr);

#endif
