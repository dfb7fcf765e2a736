/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every bindwatch program shares: the agent's filters (rodata), the
 * maps, per-socket state, and filling and sending an event.  Included once,
 * by bindwatch.bpf.c.
 */
#ifndef BW_EVENTS_BPF_H
#define BW_EVENTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "consts.bpf.h"
#include "core_fixes.bpf.h"
#include "bindwatch.h"

/* Filters and tuning, set by the agent between open and load. */
const volatile __u32 filter_pid = 0;		/* tgid, 0 = all */
const volatile __u64 filter_cgroup_id = 0;	/* a cgroup-v2 subtree, 0 = all */
const volatile __u32 filter_cgroup_level = 0;	/* that cgroup's depth */
const volatile __u8 filter_ports_on = 0;
const volatile __u8 filter_ports[8192] = {};	/* bitmap of 65536 ports */
const volatile __u8 failed_only = 0;
const volatile __u8 exact_errno = 0;
const volatile __u64 wakeup_bytes = 0;		/* 0: wake the agent per event */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);		/* resized by the agent */
} events SEC(".maps");

/* Per CPU: [0] failed ring-buffer reserves, [1] sockets the state table had
 * no room for.  The agent sums and reports both. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

#define SS_PENDING	1	/* bind asked for; outcome not yet seen */
#define SS_BOUND	2
#define SS_LISTENING	3

struct sock_state {
	__u8 req_addr[16];
	__u16 req_port;
	__u8 state;
	__u8 attempt_sent;	/* a BW_EV_BIND_ATTEMPT stands for this bind */
	__u8 family;
	__u8 __pad[3];
};

/*
 * Per-socket state, keyed by socket cookie.  A preallocated hash rather than
 * socket-local storage: sk storage allocates per socket and frees through
 * RCU, which measured ~800 ns per bind cycle here; a preallocated hash
 * update + delete costs a fraction of that.  Sized by the agent; a full
 * table is counted (drops[1]), never silent.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_state);
} socks SEC(".maps");

/* Ports whose theft by an outbound connection matters (registry claims):
 * one 8 KiB bitmap the agent writes. */
struct port_bitmap {
	__u8 bits[8192];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct port_bitmap);
} watched_ports SEC(".maps");

/* exact mode: the bind a thread is inside of, from bind4 to sys_exit_bind. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bw_event);
} inflight SEC(".maps");

static __always_inline int port_wanted(__u16 port)
{
	if (!filter_ports_on)
		return 1;
	__u32 idx = (__u32)port >> 3;

	/* Clang drops a C-level mask as redundant, and the 6.1 verifier loses
	 * the port's bounds across a stack spill: mask in BPF itself. */
	asm volatile("%0 &= 0x1fff" : "+r"(idx));

	return (filter_ports[idx] >> (port & 7)) & 1;
}

/* The task filters: pid, and the cgroup subtree (its ancestor at the filter
 * cgroup's level is the filter cgroup: one helper call, no map). */
static __always_inline int pid_wanted(__u32 tgid)
{
	if (filter_pid && filter_pid != tgid)
		return 0;
	if (filter_cgroup_id &&
	    bpf_get_current_ancestor_cgroup_id(filter_cgroup_level) != filter_cgroup_id)
		return 0;
	return 1;
}

/*
 * Waking the consumer for every event costs more than the program itself:
 * wake only once wakeup_bytes are pending; the agent also polls on a short
 * timeout so nothing waits longer than that.
 */
static __always_inline __u64 wake_flag(void)
{
	if (!wakeup_bytes)
		return 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline struct bw_event *reserve(void)
{
	struct bw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__u32 zero = 0;
		__u64 *cnt = bpf_map_lookup_elem(&drops, &zero);

		if (cnt)
			(*cnt)++;
	}
	return e;
}

static __always_inline void submit(struct bw_event *e)
{
	bpf_ringbuf_submit(e, wake_flag());
}

/* Who: the current task. */
static __always_inline void fill_task(struct bw_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task = (void *)bpf_get_current_task();
	const unsigned char *name;

	e->ts_ns = bpf_ktime_get_ns();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	name = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
	if (name)
		bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), name);
	else
		e->exe[0] = 0;
}

/* What the socket is: netns, protocol, options. */
static __always_inline void fill_sock(struct bw_event *e, const struct sock *sk)
{
	int freebind = 0, transparent = 0;
	__u8 o = 0;

	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->proto = BPF_CORE_READ(sk, sk_protocol);
	e->bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuse))
		o |= BW_OPT_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuseport))
		o |= BW_OPT_REUSEPORT;
	if (e->family == AF_INET6 &&
	    BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_ipv6only))
		o |= BW_OPT_V6ONLY;
	inet_freebind_transparent(sk, &freebind, &transparent);
	if (freebind)
		o |= BW_OPT_FREEBIND;
	if (transparent)
		o |= BW_OPT_TRANSPARENT;
	if (e->bound_dev_if)
		o |= BW_OPT_BINDDEV;
	e->opts = o;
}

/* The address the socket holds, network byte order. */
static __always_inline void fill_bound_addr(struct bw_event *e,
					    const struct sock *sk)
{
	/* explicit sizes: BPF_CORE_READ_INTO would size by the first byte */
	if (e->family == AF_INET6)
		bpf_core_read(e->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	else
		bpf_core_read(e->addr, 4, &sk->__sk_common.skc_rcv_saddr);
}

static __always_inline void zero_tail(struct bw_event *e)
{
	e->flags = 0;
	e->ret = 0;
	e->cookie = 0;
	__builtin_memset(e->__pad, 0, sizeof(e->__pad));
	__builtin_memset(e->addr, 0, sizeof(e->addr));
}

/* Reserve an event and fill what every event says: who, and the socket. */
static __always_inline struct bw_event *start_event(const struct sock *sk)
{
	struct bw_event *e = reserve();

	if (!e)
		return NULL;
	zero_tail(e);
	fill_task(e);
	fill_sock(e, sk);
	return e;
}

/*
 * cgroup programs get the socket as a struct bpf_sock, which lacks the
 * options and the netns.  The verifier forbids arithmetic on that pointer but
 * lets a helper copy its value; CO-RE probe reads then work on the copy.
 */
static __always_inline const struct sock *as_sock(const void *bpf_sk)
{
	const struct sock *sk = NULL;

	bpf_probe_read_kernel(&sk, sizeof(sk), &bpf_sk);
	return sk;
}

/* The sockaddr a bind asked for; returns the port, host order. */
static __always_inline __u16 read_sockaddr(__u8 addr[16], __u16 family,
					   const struct sockaddr *uaddr)
{
	if (family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)uaddr;

		bpf_core_read(addr, 16, &sin6->sin6_addr);
		return bpf_ntohs(BPF_CORE_READ(sin6, sin6_port));
	} else {
		const struct sockaddr_in *sin = (const void *)uaddr;

		bpf_core_read(addr, 4, &sin->sin_addr);
		return bpf_ntohs(BPF_CORE_READ(sin, sin_port));
	}
}

static __always_inline void count(__u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(&drops, &idx);

	if (cnt)
		(*cnt)++;
}

static __always_inline void set_state(__u64 cookie, const struct sock_state *st)
{
	if (bpf_map_update_elem(&socks, &cookie, st, BPF_ANY))
		count(1);
}

static __always_inline void set_state_simple(__u64 cookie, __u8 state)
{
	struct sock_state st = { .state = state };

	set_state(cookie, &st);
}

static __always_inline int emit_sock_event(const struct sock *sk, __u8 kind,
					   int ret, __u8 flags, __u64 cookie)
{
	struct bw_event *e;
	__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);

	if (!port_wanted(port))
		return 0;
	e = start_event(sk);
	if (!e)
		return 0;
	fill_bound_addr(e, sk);
	e->kind = kind;
	e->ret = ret;
	e->flags = flags;
	e->port = port;
	e->req_port = port;
	e->cookie = cookie;
	submit(e);
	return 0;
}

#endif
