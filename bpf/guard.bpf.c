// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The port guard: refuse (or, in audit mode, report) a bind of a guarded
 * port by anyone the policy does not allow.  A separate object from
 * bindwatch.bpf.c, loaded only by `bindwatch guard --policy FILE`.
 *
 *   cgroup/bind4, bind6            judge the port the caller asked for
 *   cgroup/post_bind4, post_bind6  judge the port the kernel chose for a bind
 *                                  to port 0 (an explicit port was judged
 *                                  at bind4/6 already)
 *
 * Returning 0 from these hooks makes bind() fail with EPERM; io_uring's
 * IORING_OP_BIND goes through the same hooks.  The agent attaches them with
 * BPF links to the cgroup-v2 root: every cgroup program on the path runs and
 * the results are ANDed, so the guard adds to (never replaces) what systemd
 * or a runtime attached; when the agent exits, even by SIGKILL, the links go
 * and nothing is enforced any more (fail open).
 *
 * Cost for a bind on an unguarded port: one bit of an 8 KiB bitmap in the
 * mmapped .bss (no helper call, no map lookup) and return 1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "consts.bpf.h"
#include "bw_consts.h"
#include "bw_guard.h"

_Static_assert(BW_GUARD_MAX_RULES == 256, "rule_for() masks the rule index with 0xff");

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the agent between open and load. */
const volatile __u8 audit_mode = 0;	/* 1: never refuse, only report */

/* The policy, written by the agent through the mmapped .bss (see guard.h). */
__u32 active_gen = 0;
__u8 port_bits[2][2][BW_PORT_BITMAP_BYTES] = {};
__u16 port_rule[2][2][65536] = {};
struct bw_guard_rule rules[2][BW_GUARD_MAX_RULES] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} guard_events SEC(".maps");

/* [0]: refusals the ring buffer had no room to report (the refusal itself
 * still happened).  Per CPU, summed by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} guard_drops SEC(".maps");

/*
 * The rule for (proto, port) in the active generation, or NULL.  Every index
 * is masked in BPF itself: clang drops a C-level mask it thinks redundant,
 * and the 6.1 verifier loses a value's bounds across a stack spill (as in
 * events.bpf.h's port_wanted()).
 */
static __always_inline const struct bw_guard_rule *rule_for(__u8 proto, __u16 port,
							     __u32 *gen_out, __u32 *idx_out)
{
	__u32 gen = *(volatile __u32 *)&active_gen;
	__u32 p, idx, byte = (__u32)port >> 3, bit = (__u32)port & 7, slot = port;

	if (proto == IPPROTO_TCP)
		p = BW_GUARD_P_TCP;
	else if (proto == IPPROTO_UDP)
		p = BW_GUARD_P_UDP;
	else
		return NULL;
	asm volatile("%0 &= 1" : "+r"(gen));
	asm volatile("%0 &= 1" : "+r"(p));
	asm volatile("%0 &= 0x1fff" : "+r"(byte));
	asm volatile("%0 &= 0xffff" : "+r"(slot));
	/* the 8 KiB bitmap first: it stays in cache where the 128 KiB index
	 * would not, and most binds end here */
	if (!((port_bits[gen][p][byte] >> bit) & 1))
		return NULL;
	idx = port_rule[gen][p][slot];
	if (!idx || idx > BW_GUARD_MAX_RULES)
		return NULL;
	idx -= 1;
	asm volatile("%0 &= 0xff" : "+r"(idx));	/* BW_GUARD_MAX_RULES - 1 */
	*gen_out = gen;
	*idx_out = idx;
	return &rules[gen][idx];
}

/* Does the current task hold one of the rule's identities? */
static __always_inline int allowed(const struct bw_guard_rule *r)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	char comm[BW_GUARD_COMM_LEN] = {};
	__u32 i, n;

	n = r->n_uid;
	for (i = 0; i < BW_GUARD_MAX_UIDS; i++) {
		if (i >= n)
			break;
		if (r->uid[i] == uid)
			return 1;
	}
	n = r->n_cgroup;
	for (i = 0; i < BW_GUARD_MAX_CGROUPS; i++) {
		if (i >= n)
			break;
		if (r->cgroup_id[i] &&
		    bpf_get_current_ancestor_cgroup_id(r->cgroup_level[i]) == r->cgroup_id[i])
			return 1;
	}
	n = r->n_comm;
	if (!n)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < BW_GUARD_MAX_COMMS; i++) {
		const __u64 *want = (const __u64 *)&r->comm[i * BW_GUARD_COMM_LEN];
		const __u64 *have = (const __u64 *)comm;

		if (i >= n)
			break;
		if (want[0] == have[0] && want[1] == have[1])
			return 1;
	}
	return 0;
}

/* cgroup contexts give a struct bpf_sock; a helper copy of the pointer lets
 * CO-RE reads walk the real struct sock (as bindwatch.bpf.c does). */
static __always_inline const struct sock *as_sock(const void *bpf_sk)
{
	const struct sock *sk = NULL;

	bpf_probe_read_kernel(&sk, sizeof(sk), &bpf_sk);
	return sk;
}

static __always_inline void report(const struct bw_guard_rule *r, __u32 gen, __u32 idx,
				   const struct sock *sk, __u64 cookie, __u16 family,
				   __u8 proto, __u16 port, const __u8 addr[16], __u8 hook)
{
	struct bw_guard_event *e = bpf_ringbuf_reserve(&guard_events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		__u32 zero = 0;
		__u64 *cnt = bpf_map_lookup_elem(&guard_drops, &zero);

		if (cnt)
			(*cnt)++;
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->cookie = cookie;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->netns = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) : 0;
	e->rule = idx;
	e->line = r->line;
	e->port = port;
	e->family = family;
	e->proto = proto;
	e->action = audit_mode ? BW_GUARD_AUDIT : BW_GUARD_DENY;
	e->hook = hook;
	e->gen = (__u8)gen;
	__builtin_memcpy(e->addr, addr, 16);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* refusals are rare and someone is waiting to hear: wake the reader */
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_bind(struct bpf_sock_addr *ctx, __u16 family)
{
	const struct bw_guard_rule *r;
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u8 proto = (__u8)ctx->protocol;
	__u8 addr[16] = {};
	__u32 gen = 0, idx = 0;

	r = rule_for(proto, port, &gen, &idx);
	if (!r || !port)
		return 1;
	if (allowed(r))
		return 1;
	if (family == AF_INET6) {
		/* the context allows only 4-byte loads of user_ip6 */
		__u32 *a = (__u32 *)addr;

		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
	} else {
		*(__u32 *)addr = ctx->user_ip4;
	}
	report(r, gen, idx, ctx->sk ? as_sock(ctx->sk) : NULL, bpf_get_socket_cookie(ctx),
	       family, proto, port, addr, BW_GUARD_HOOK_BIND);
	return audit_mode ? 1 : 0;
}

SEC("cgroup/bind4")
int guard_bind4(struct bpf_sock_addr *ctx)
{
	return on_bind(ctx, AF_INET);
}

SEC("cgroup/bind6")
int guard_bind6(struct bpf_sock_addr *ctx)
{
	return on_bind(ctx, AF_INET6);
}

#define SOCK_BINDPORT_LOCK	8

static __always_inline int on_post_bind(struct bpf_sock *ctx)
{
	const struct bw_guard_rule *r;
	const struct sock *sk;
	__u16 port = (__u16)ctx->src_port;	/* host order */
	__u8 proto = (__u8)ctx->protocol;
	__u16 family = (__u16)ctx->family;
	__u8 addr[16] = {};
	__u32 gen = 0, idx = 0;

	r = rule_for(proto, port, &gen, &idx);
	if (!r)
		return 1;
	sk = as_sock(ctx);
	/* an explicit port was judged at bind4/6: only the kernel's choice is new */
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_userlocks) & SOCK_BINDPORT_LOCK)
		return 1;
	if (allowed(r))
		return 1;
	if (family == AF_INET6)
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	else
		bpf_core_read(addr, 4, &sk->__sk_common.skc_rcv_saddr);
	report(r, gen, idx, sk, bpf_get_socket_cookie(ctx), family, proto, port, addr,
	       BW_GUARD_HOOK_POST_BIND);
	return audit_mode ? 1 : 0;
}

SEC("cgroup/post_bind4")
int guard_post_bind4(struct bpf_sock *ctx)
{
	return on_post_bind(ctx);
}

SEC("cgroup/post_bind6")
int guard_post_bind6(struct bpf_sock *ctx)
{
	return on_post_bind(ctx);
}
