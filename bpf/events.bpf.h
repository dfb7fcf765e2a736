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
const volatile __u8 filter_ports[BW_PORT_BITMAP_BYTES] = {};	/* bitmap of 65536 ports */
const volatile __u8 failed_only = 0;
const volatile __u8 exact_errno = 0;
const volatile __u64 wakeup_bytes = 0;		/* 0: wake the agent per event */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);		/* resized by the agent */
} events SEC(".maps");

/* Per CPU: BW_CNT_DROPPED failed ring-buffer reserves, BW_CNT_UNTRACKED
 * sockets the state table had no room for.  The agent sums and reports both. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_CNT_MAX);
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
 * Per-socket state, keyed by socket cookie.  Most sockets live in `socks`,
 * an array map used as an open-addressing table: a cookie's slots are the
 * BW_SOCK_PROBES after (cookie mod BW_SOCK_SLOTS).  The kernel hands out
 * cookies in per-CPU runs, so the sockets of a bind storm sit next to each
 * other: the same few pages and cache lines, where a hash map's random
 * buckets cost a TLB and cache miss each (~500 ns per bind cycle measured on
 * the 6.18 host, nested paging) and socket-local storage more (allocated per
 * socket, freed through RCU).  The verifier inlines array lookups, so
 * finding, claiming (one cmpxchg) and freeing (one store) a slot call no
 * helper.  A cookie whose slots are all taken (a run of long-lived sockets
 * where its window falls) goes to the `socks_spill` hash instead; spilled
 * counts them so that a lookup of an untracked socket skips that hash while
 * it is empty.  Both are full only past 65,536 sockets each, and a socket
 * that finds no room is counted (BW_CNT_UNTRACKED), never silent.
 */
#define BW_SOCK_SLOTS		65536
#define BW_SOCK_PROBES		8

struct sock_slot {
	__u64 cookie;		/* 0: free */
	struct sock_state st;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_SOCK_SLOTS);
	__type(key, __u32);
	__type(value, struct sock_slot);
} socks SEC(".maps");

/* Allocated per entry (rare), not preallocated: no start-up cost. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sock_slot);
} socks_spill SEC(".maps");

__u64 spilled = 0;	/* entries in socks_spill */

/* Ports whose theft by an outbound connection matters (registry claims):
 * one 8 KiB bitmap the agent writes. */
struct port_bitmap {
	__u8 bits[BW_PORT_BITMAP_BYTES];
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
 * cgroup's level is the filter cgroup: one helper call, no map).  Without
 * filters the verifier drops both calls: rodata is constant to it. */
static __always_inline int pid_wanted(void)
{
	if (filter_pid && filter_pid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	if (filter_cgroup_id &&
	    bpf_get_current_ancestor_cgroup_id(filter_cgroup_level) != filter_cgroup_id)
		return 0;
	return 1;
}

/*
 * Waking the consumer for every event costs more than the program itself (a
 * forced wakeup is an irq_work, a self-IPI: ~1 us on the 6.18 host), and so
 * does asking the ring how much is pending for every event (two helper calls
 * that read the consumer's position, a cache line the agent on the other CPU
 * writes all the time).  So each CPU counts what it produced, in a per-CPU
 * slot the verifier inlines, and every BW_WAKE_CHECK bytes of that asks the
 * ring once: the agent is woken when wakeup_bytes are pending.  While the
 * agent lags behind, that is a wakeup per check, one per ~68 events per CPU,
 * not one per event.  The agent also polls on a short timeout, so a lone
 * event waits no longer than that.
 */
#define BW_RB_RECORD	(sizeof(struct bw_event) + 8 /* BPF_RINGBUF_HDR_SZ */)
#define BW_WAKE_CHECK	8192

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} produced SEC(".maps");

static __always_inline __u64 wake_flag(void)
{
	__u32 zero = 0;
	__u64 *b;

	if (!wakeup_bytes)
		return 0;
	b = bpf_map_lookup_elem(&produced, &zero);
	if (!b)
		return 0;
	*b += BW_RB_RECORD;
	if (*b < BW_WAKE_CHECK && *b < wakeup_bytes)	/* --wakeup below 8 KiB */
		return BPF_RB_NO_WAKEUP;
	*b = 0;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline struct bw_event *reserve(void)
{
	struct bw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__u32 key = BW_CNT_DROPPED;
		__u64 *cnt = bpf_map_lookup_elem(&drops, &key);

		if (cnt)
			(*cnt)++;
	}
	return e;
}

static __always_inline void submit(struct bw_event *e)
{
	bpf_ringbuf_submit(e, wake_flag());
}

/*
 * Three ways to read the kernel, chosen per program:
 *   BW_CTX_CGROUP  cgroup programs on kernels without bpf_rdonly_cast() for
 *                  any pointer (6.1): every kernel read is a probe-read
 *                  helper call.
 *   BW_CTX_BTF     fentry and tp_btf programs: the task and the socket are
 *                  BTF pointers, their fields plain loads the JIT guards
 *                  against faults; only the exe name and the inet flags are
 *                  copied by helpers.
 *   BW_CTX_CAST    cgroup programs (and tp_set_state beside them) where
 *                  bpf_get_current_task_btf() and bpf_rdonly_cast() are
 *                  allowed (6.18): like BTF, and the socket, the inet flags
 *                  and the exe name are read through read-only casts, so
 *                  not one probe read.  A helper call costs ~50 ns on the
 *                  6.18 host (SRSO return thunks, nested paging); a plain
 *                  load ~1 ns.
 * The agent loads the CAST programs and falls back to the CGROUP ones where
 * the verifier refuses them (loader.c).
 */
#define BW_CTX_CGROUP	0
#define BW_CTX_BTF	1
#define BW_CTX_CAST	2

/* A weak kfunc: on kernels without it only the CAST programs, which the
 * agent then does not load, refer to it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define bw_cast(ptr, type) \
	((const type *)bpf_rdonly_cast((const void *)(ptr), bpf_core_type_id_kernel(type)))
/* btf_id 0: read-only untrusted memory of any size (6.18) */
#define bw_cast_mem(ptr)	((const __u64 *)bpf_rdonly_cast((const void *)(ptr), 0))

/*
 * The exe name of the task that last made an event on this CPU, for the
 * CGROUP programs (see exe_by_probe()).  Valid for the task at `task` with
 * that pid/tid and that mm: exec gives a task a new mm, allocated while the
 * old one still lives, so at another address; a task_struct and an mm_struct
 * reused by a new process come with a new pid.  `task` is written last and
 * checked again after the copy, so a program that ran in between on this
 * CPU (preemption) is seen.
 */
struct exe_cache {
	__u64 task;
	__u64 pid_tgid;
	__u64 mm;
	char exe[BW_EXE_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exe_cache);
} exe_cache SEC(".maps");

#define barrier()	asm volatile("" ::: "memory")

/*
 * CGROUP programs: task->mm in one probe read, the name from the per-CPU
 * cache when the same task made the last event here -- a bind storm, a
 * server's bind and close -- else the chain with a probe read per link.
 */
static __always_inline void exe_by_probe(struct bw_event *e, __u64 id)
{
	__u64 task = bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ((struct task_struct *)task, mm);
	const unsigned char *name;
	__u32 zero = 0;
	struct exe_cache *c = bpf_map_lookup_elem(&exe_cache, &zero);

	if (c && c->task == task && c->pid_tgid == id && c->mm == (__u64)mm) {
		__builtin_memcpy(e->exe, c->exe, sizeof(e->exe));
		barrier();
		if (c->task == task)
			return;
	}
	name = BPF_CORE_READ(mm, exe_file, f_path.dentry, d_name.name);
	if (!name || bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), name) < 0) {
		e->exe[0] = 0;
		return;
	}
	if (!c)
		return;
	c->task = 0;
	barrier();
	c->pid_tgid = id;
	c->mm = (__u64)mm;
	__builtin_memcpy(c->exe, e->exe, sizeof(c->exe));
	barrier();
	c->task = task;
}

/* Bytes from the first NUL on cleared (little-endian): a word's lowest byte
 * that is zero is marked by haszero()'s lowest set bit. */
static __always_inline __u64 clear_after_nul(__u64 v, int *ended)
{
	__u64 t = (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;

	if (*ended)
		return 0;
	if (!t)
		return v;
	*ended = 1;
	return v & (((t & -t) >> 7) - 1);
}

/*
 * CAST programs: a dentry name is at least 16 bytes of memory (an inline
 * name has 40, an external one is allocated only past 39), so it comes in
 * two loads of a read-only cast, cut at its NUL.
 */
static __always_inline void exe_by_cast(struct bw_event *e, const unsigned char *name)
{
	const __u64 *n = bw_cast_mem(name);
	__u64 *d = (__u64 *)e->exe;
	int ended = 0;

	if (!name) {
		d[0] = d[1] = 0;
		return;
	}
	d[0] = clear_after_nul(n[0], &ended);
	d[1] = clear_after_nul(n[1], &ended);
	e->exe[BW_EXE_LEN - 1] = 0;
}

/*
 * Who: the current task.  BTF and CAST programs read the task's fields
 * (pid, tid, real uid, cgroup-v2 id, comm, exe) as plain loads -- what the
 * helpers bpf_get_current_pid_tgid(), _uid_gid(), _cgroup_id() and _comm()
 * return, without their calls; CGROUP programs ask those helpers.
 */
static __always_inline void fill_task(struct bw_event *e, int ctx_kind)
{
	e->ts_ns = bpf_ktime_get_ns();
	if (ctx_kind == BW_CTX_CGROUP) {
		__u64 id = bpf_get_current_pid_tgid();

		e->pid = id >> 32;
		e->tid = (__u32)id;
		e->uid = (__u32)bpf_get_current_uid_gid();
		e->cgroup_id = bpf_get_current_cgroup_id();
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		exe_by_probe(e, id);
	} else {
		struct task_struct *task = bpf_get_current_task_btf();
		const unsigned char *name;
		const __u64 *comm = (const __u64 *)task->comm;

		e->pid = task->tgid;	/* ids in the initial pid namespace, */
		e->tid = task->pid;	/* as bpf_get_current_pid_tgid() */
		e->uid = task->cred->uid.val;
		e->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
		*(__u64 *)&e->comm[0] = comm[0];
		*(__u64 *)&e->comm[8] = comm[1];
		name = task->mm->exe_file->f_path.dentry->d_name.name;
		if (ctx_kind == BW_CTX_CAST)
			exe_by_cast(e, name);
		else if (!name || bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), name) < 0)
			e->exe[0] = 0;
	}
}

/*
 * What the socket is: family, options, bound device, port and address, from
 * its struct sock_common.  `c` is either a BTF pointer (fentry: direct loads)
 * or a copy on the stack (cgroup: one probe read for all of it); the code is
 * the same, CO-RE relocates the offsets in both.
 */
static __always_inline void fill_common(struct bw_event *e,
					const struct sock_common *c)
{
	__u8 o = 0;

	e->family = c->skc_family;
	e->bound_dev_if = c->skc_bound_dev_if;
	if (BPF_CORE_READ_BITFIELD(c, skc_reuse))
		o |= BW_OPT_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD(c, skc_reuseport))
		o |= BW_OPT_REUSEPORT;
	if (e->family == AF_INET6 && BPF_CORE_READ_BITFIELD(c, skc_ipv6only))
		o |= BW_OPT_V6ONLY;
	if (e->bound_dev_if)
		o |= BW_OPT_BINDDEV;
	e->opts |= o;
}

/* The address the socket holds, network byte order. */
static __always_inline void fill_common_addr(struct bw_event *e,
					     const struct sock_common *c)
{
	if (e->family == AF_INET6)
		__builtin_memcpy(e->addr, &c->skc_v6_rcv_saddr, 16);
	else
		__builtin_memcpy(e->addr, &c->skc_rcv_saddr, 4);
}

static __always_inline void fill_inet_opts(struct bw_event *e, int freebind,
					   int transparent)
{
	if (freebind)
		e->opts |= BW_OPT_FREEBIND;
	if (transparent)
		e->opts |= BW_OPT_TRANSPARENT;
}

/*
 * The part of struct sock_common read at once by the cgroup programs: up to
 * the end of skc_v6_rcv_saddr (88 bytes on 6.1 and 6.18).  Its size is a
 * CO-RE constant, clamped to the buffer.  The caller reads fields through
 * (const struct sock_common *)h.b: returning that pointer instead (or NULL)
 * loses its type in the 6.1 verifier.
 */
#define BW_SK_HEAD	128

struct sk_head {
	__u8 b[BW_SK_HEAD];
};

static __always_inline int read_head(struct sk_head *h, const struct sock *sk)
{
	__u32 len = bpf_core_field_offset(struct sock_common, skc_v6_rcv_saddr) + 16;

	if (len > sizeof(h->b))
		len = sizeof(h->b);
	return bpf_probe_read_kernel(h->b, len, sk);
}

/*
 * cgroup programs: the socket pointer is a plain value (see as_sock()), so
 * sock_common comes in one probe read (read_head()), the netns inode and the
 * inet flags in one each.  proto comes from the context.
 */
static __always_inline void fill_sock_cg(struct bw_event *e,
					 const struct sock *sk,
					 const struct sock_common *c, __u8 proto)
{
	const struct net *net = c->skc_net.net;
	int freebind = 0, transparent = 0;

	e->proto = proto;
	fill_common(e, c);
	e->netns = BPF_CORE_READ(net, ns.inum);
	inet_freebind_transparent(sk, &freebind, &transparent);
	fill_inet_opts(e, freebind, transparent);
}

/*
 * fentry and tp_btf programs: sk is a BTF pointer, every sock_common field a
 * plain load.  The inet flags lie beyond struct sock, where the verifier
 * allows no plain load (6.1 has no bpf_rdonly_cast()): one probe read.
 * CAST programs: sk is a read-only cast, and so are the inet flags.
 */
static __always_inline void fill_sock_btf(struct bw_event *e,
					  const struct sock *sk, int ctx_kind)
{
	int freebind = 0, transparent = 0;

	e->proto = sk->sk_protocol;
	fill_common(e, &sk->__sk_common);
	e->netns = sk->__sk_common.skc_net.net->ns.inum;
	if (ctx_kind != BW_CTX_CAST)
		inet_freebind_transparent(sk, &freebind, &transparent);
	else if (bpf_core_field_exists(struct inet_sock___new, inet_flags))
		inet_flags_new(bw_cast(sk, struct inet_sock___new), &freebind, &transparent);
	else
		inet_flags_old(bw_cast(sk, struct inet_sock___old), &freebind, &transparent);
	fill_inet_opts(e, freebind, transparent);
}

static __always_inline void zero_tail(struct bw_event *e)
{
	e->flags = 0;
	e->ret = 0;
	e->cookie = 0;
	e->opts = 0;
	e->netns = 0;
	e->family = 0;
	e->bound_dev_if = 0;
	__builtin_memset(e->__pad, 0, sizeof(e->__pad));
	__builtin_memset(e->addr, 0, sizeof(e->addr));
}

/* Reserve an event and fill who made it. */
static __always_inline struct bw_event *start_event(int ctx_kind)
{
	struct bw_event *e = reserve();

	if (!e)
		return NULL;
	zero_tail(e);
	fill_task(e, ctx_kind);
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

static __always_inline void count(__u32 idx)
{
	__u64 *cnt = bpf_map_lookup_elem(&drops, &idx);

	if (cnt)
		(*cnt)++;
}

static __always_inline struct sock_slot *sock_slot(__u32 h, __u32 i)
{
	__u32 idx = (h + i) & (BW_SOCK_SLOTS - 1);

	return bpf_map_lookup_elem(&socks, &idx);
}

/* The slot holding the state of the socket with this cookie, or NULL. */
static __always_inline struct sock_slot *sock_find(__u64 cookie)
{
	__u32 h = (__u32)cookie;

#pragma unroll
	for (__u32 i = 0; i < BW_SOCK_PROBES; i++) {
		struct sock_slot *s = sock_slot(h, i);

		if (s && s->cookie == cookie)
			return s;
	}
	if (!spilled)
		return NULL;
	return bpf_map_lookup_elem(&socks_spill, &cookie);
}

/* A slot, now the cookie's (its state to be set by the caller); NULL and
 * counted when there is no room. */
static __always_inline struct sock_slot *sock_claim(__u64 cookie)
{
	struct sock_slot *s, fresh = { .cookie = cookie };
	__u32 h = (__u32)cookie;

#pragma unroll
	for (__u32 i = 0; i < BW_SOCK_PROBES; i++) {
		s = sock_slot(h, i);
		if (s && !s->cookie &&
		    __sync_val_compare_and_swap(&s->cookie, 0, cookie) == 0)
			return s;
	}
	if (!bpf_map_update_elem(&socks_spill, &cookie, &fresh, BPF_NOEXIST)) {
		__sync_fetch_and_add(&spilled, 1);
		s = bpf_map_lookup_elem(&socks_spill, &cookie);
		if (s)
			return s;
	}
	count(BW_CNT_UNTRACKED);
	return NULL;
}


/* Free a slot sock_find() gave for this cookie. */
static __always_inline void sock_free(struct sock_slot *s, __u64 cookie)
{
	s->cookie = 0;
	if (spilled && !bpf_map_delete_elem(&socks_spill, &cookie))
		__sync_fetch_and_add(&spilled, -1);
}

/* Set a socket's state to just `state`, making a slot if it has none. */
static __always_inline void set_state_simple(__u64 cookie, __u8 state)
{
	struct sock_slot *s = sock_find(cookie);

	if (!s)
		s = sock_claim(cookie);
	if (s) {
		struct sock_state st = { .state = state };

		s->st = st;
	}
}

/* What a socket event says beyond the socket: kind, result, flags, port. */
static __always_inline int finish_sock_event(struct bw_event *e, __u8 kind, int ret,
					     __u8 flags, __u16 port, __u64 cookie)
{
	e->kind = kind;
	e->ret = ret;
	e->flags = flags;
	e->port = port;
	e->req_port = port;
	e->cookie = cookie;
	submit(e);
	return 0;
}

/* An event about a bound socket (listen, close, connect): BTF pointer, or a
 * read-only cast (ctx_kind BW_CTX_CAST). */
static __always_inline int emit_sock_event_btf(const struct sock *sk, __u8 kind,
					       int ret, __u8 flags, __u64 cookie,
					       int ctx_kind)
{
	struct bw_event *e;
	__u16 port = sk->__sk_common.skc_num;

	if (!port_wanted(port))
		return 0;
	e = start_event(ctx_kind);
	if (!e)
		return 0;
	fill_sock_btf(e, sk, ctx_kind);
	fill_common_addr(e, &sk->__sk_common);
	return finish_sock_event(e, kind, ret, flags, port, cookie);
}

/* The same from a cgroup program: sk is a plain value (as_sock()). */
static __always_inline int emit_sock_event_cg(const struct sock *sk, __u8 proto,
					      __u8 kind, int ret, __u8 flags,
					      __u64 cookie)
{
	struct sk_head h = {};
	const struct sock_common *c = (const void *)h.b;
	struct bw_event *e;
	__u16 port;

	if (read_head(&h, sk))
		return 0;
	port = c->skc_num;
	if (!port_wanted(port))
		return 0;
	e = start_event(BW_CTX_CGROUP);
	if (!e)
		return 0;
	fill_sock_cg(e, sk, c, proto);
	fill_common_addr(e, c);
	return finish_sock_event(e, kind, ret, flags, port, cookie);
}

#endif
