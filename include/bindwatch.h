/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between bpf/bindwatch.bpf.c and the agent: one record per
 * ring-buffer entry.  Fixed-width fields only, ordered by size, padding
 * explicit, layout locked by the _Static_assert at the bottom.  Change this
 * file and both sides change together.
 */
#ifndef BINDWATCH_H
#define BINDWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "bw_consts.h"	/* port bitmap size, counter indices: both sides */

#define BW_COMM_LEN	16
#define BW_EXE_LEN	16

/* bw_event.kind */
#define BW_EV_BIND		1	/* bind() finished: ret says how */
#define BW_EV_LISTEN		2	/* listen() finished: ret says how */
#define BW_EV_CLOSE		3	/* a socket that held a port was released */
#define BW_EV_BIND_ATTEMPT	4	/* cgroup backend: bind() asked for a fixed
					 * port; BW_EV_BIND with the same cookie
					 * follows if, and only if, it succeeded */
#define BW_EV_CONNECT		5	/* an outbound connection took a kernel-chosen
					 * port the agent watches (a claimed one:
					 * ephemeral_steal) */

/* bw_event.opts: socket options in force at the time of the event */
#define BW_OPT_REUSEADDR	(1u << 0)
#define BW_OPT_REUSEPORT	(1u << 1)
#define BW_OPT_FREEBIND		(1u << 2)
#define BW_OPT_TRANSPARENT	(1u << 3)
#define BW_OPT_V6ONLY		(1u << 4)
#define BW_OPT_BINDDEV		(1u << 5)

/* bw_event.flags */
#define BW_F_LISTENING		(1u << 0)	/* close: the socket was listening */
#define BW_F_FROM_CLOSE		(1u << 1)	/* bind result learnt only at close or
						 * at the next bind on the socket */
#define BW_F_TENTATIVE		(1u << 2)	/* listen: TCP_LISTEN stored, get_port()
						 * not yet run; a failed listen for the
						 * same cookie may follow */

/* bw_event.proto uses IPPROTO_* numbers; bw_event.family uses AF_* numbers */

/*
 * ts_ns	CLOCK_MONOTONIC (bpf_ktime_get_ns), nanoseconds.
 * cookie	socket cookie (bpf_get_socket_cookie): bind, listen and close
 *		of one socket carry the same value.
 * cgroup_id	cgroup-v2 id of the task that made the call.
 * pid, tid	tgid and thread id of that task, in the initial pid namespace.
 * uid		its real uid.
 * netns	inode number of the socket's network namespace.
 * ret		0 on success, else the kernel's -errno.  For BW_EV_BIND with
 *		BW_F_FROM_CLOSE, ret is 1: failed, errno not known to the kernel
 *		side (the agent infers it).
 * bound_dev_if	ifindex of SO_BINDTODEVICE, 0 if none.
 * port		the port, host byte order: for a bind the port the kernel
 *		chose (== req_port unless req_port was 0); for a failed bind the
 *		requested port; for listen and close the bound port.
 * req_port	the port the caller asked for, host byte order.
 * family	AF_INET or AF_INET6.
 * proto	IPPROTO_TCP, IPPROTO_UDP, ...
 * kind		BW_EV_*.
 * opts		BW_OPT_* bits.
 * flags	BW_F_* bits.
 * addr		the address asked for (bind) or held (listen, close), network
 *		byte order; IPv4 in the first 4 bytes, the rest zero.
 * comm		task comm, NUL-padded, untrusted.
 * exe		basename of the task's executable, NUL-padded, untrusted; the
 *		agent prefers the full path from /proc when the task still lives.
 */
struct bw_event {
	__u64 ts_ns;
	__u64 cookie;
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 netns;
	__s32 ret;
	__u32 bound_dev_if;
	__u16 port;
	__u16 req_port;
	__u16 family;
	__u8 proto;
	__u8 kind;
	__u8 opts;
	__u8 flags;
	__u8 __pad[6];
	__u8 addr[16];
	char comm[BW_COMM_LEN];
	char exe[BW_EXE_LEN];
};

_Static_assert(sizeof(struct bw_event) == 112, "bw_event layout changed");

#endif /* BINDWATCH_H */
