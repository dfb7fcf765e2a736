/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * include/bw_guard.h (not guard.h: user/guard.h is the agent side).
 * The contract between bpf/guard.bpf.c (the port guard: cgroup bind4/bind6
 * and post_bind4/6 programs that refuse a bind) and the agent's user/guard.c.
 * A separate object from bindwatch.bpf.c: the guard loads only with a policy.
 * Fixed-width fields only, ordered by size, padding explicit, layouts locked
 * by the _Static_asserts.  Change this file and both sides change together.
 *
 * The policy lives in the object's .bss, which the agent mmaps and writes:
 *
 *   port_bits[gen][p][port / 8] bit port % 8: the port is guarded (checked
 *                            first: 8 KiB that stay in cache)
 *   port_rule[gen][p][port]  rule index + 1 for that port and protocol
 *                            (p: BW_GUARD_P_TCP or BW_GUARD_P_UDP), 0: the port
 *                            is not guarded.  Ports in host byte order.
 *   rules[gen][i]            struct bw_guard_rule, i < BW_GUARD_MAX_RULES.
 *   active_gen               0 or 1: which generation the programs read.
 *
 * A reload writes the other generation whole, then flips active_gen (one
 * aligned 32-bit store): a bind is judged by the old rules or by the new
 * ones, never by half of each.
 */
#ifndef BW_GUARD_H
#define BW_GUARD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BW_GUARD_MAX_RULES	256	/* rules in one policy */
#define BW_GUARD_MAX_CGROUPS	8	/* cgroup: identities in one rule */
#define BW_GUARD_MAX_UIDS	8	/* uid: identities in one rule */
#define BW_GUARD_MAX_COMMS	4	/* comm: identities in one rule */
#define BW_GUARD_COMM_LEN	16	/* TASK_COMM_LEN */

#define BW_GUARD_P_TCP		0
#define BW_GUARD_P_UDP		1

/* bw_guard_event.action */
#define BW_GUARD_DENY		1	/* the bind was refused: the caller got EPERM */
#define BW_GUARD_AUDIT		2	/* --audit: it would have been refused; let through */

/* bw_guard_event.hook */
#define BW_GUARD_HOOK_BIND	1	/* cgroup/bind4|6: the port the caller asked for */
#define BW_GUARD_HOOK_POST_BIND	2	/* cgroup/post_bind4|6: the port the kernel
					 * chose for a bind to port 0 */

/*
 * One rule: who may bind ports port_lo..port_hi (host order) of proto.
 * A bind is allowed when ANY identity matches:
 *   uid[i]         the caller's real uid (i < n_uid)
 *   cgroup_id[i]   the caller's cgroup-v2 ancestor at depth cgroup_level[i]
 *                  is this cgroup (its inode): the cgroup or any below it.
 *                  0: not resolved (the cgroup does not exist now): matches
 *                  nobody.
 *   comm[i]        the caller's comm equals this (NUL-padded; advisory: a
 *                  process chooses its own comm).
 * line is the policy line, for the agent; the kernel copies it into events.
 */
struct bw_guard_rule {
	__u64 cgroup_id[BW_GUARD_MAX_CGROUPS];
	__u32 cgroup_level[BW_GUARD_MAX_CGROUPS];
	__u32 uid[BW_GUARD_MAX_UIDS];
	__u32 line;
	__u16 port_lo;
	__u16 port_hi;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 n_cgroup;
	__u8 n_uid;
	__u8 n_comm;
	__u8 __pad[4];
	char comm[BW_GUARD_COMM_LEN * BW_GUARD_MAX_COMMS];
};

_Static_assert(sizeof(struct bw_guard_rule) == 208, "bw_guard_rule layout changed");

/*
 * One refusal (or, with --audit, would-be refusal), on the guard's own ring
 * buffer.
 *
 * ts_ns	CLOCK_MONOTONIC (bpf_ktime_get_ns), nanoseconds.
 * cookie	socket cookie: the same value as bindwatch's events for this
 *		socket, so the agent pairs a refusal with its bind attempt.
 * cgroup_id	cgroup-v2 id of the caller.
 * pid, tid	tgid and thread id of the caller (initial pid namespace).
 * uid		its real uid.
 * netns	inode of the socket's network namespace.
 * rule		index of the rule in its generation's rules[].
 * line		that rule's policy line.
 * port		the port judged, host order (asked for, or chosen by the kernel
 *		when hook is BW_GUARD_HOOK_POST_BIND).
 * family	AF_INET or AF_INET6.
 * proto	IPPROTO_TCP or IPPROTO_UDP.
 * action	BW_GUARD_DENY or BW_GUARD_AUDIT.
 * hook		BW_GUARD_HOOK_*.
 * gen		the policy generation that judged it (0 or 1).
 * addr		the address asked for, network order; IPv4 in the first 4 bytes.
 * comm		task comm, NUL-padded, untrusted.
 */
struct bw_guard_event {
	__u64 ts_ns;
	__u64 cookie;
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 netns;
	__u32 rule;
	__u32 line;
	__u16 port;
	__u16 family;
	__u8 proto;
	__u8 action;
	__u8 hook;
	__u8 gen;
	__u8 addr[16];
	char comm[BW_GUARD_COMM_LEN];
};

_Static_assert(sizeof(struct bw_guard_event) == 88, "bw_guard_event layout changed");

#endif /* BW_GUARD_H */
