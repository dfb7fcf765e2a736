// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindwatch kernel side.  Two sets of programs; the agent loads one set.
 *
 *   fentry:  fexit on inet_bind/inet6_bind/inet_listen and fentry on
 *            inet_release.  One event per call, with the kernel's own return
 *            value.  Needs BPF trampolines.
 *   cgroup:  cgroup-v2 socket hooks (bind4/6, post_bind4/6, sock_release) and
 *            the inet_sock_set_state tracepoint.  No syscall tracepoint, so
 *            unrelated syscalls pay nothing; a failed bind shows as a bind4
 *            with no post_bind4 (see BW_EV_BIND_ATTEMPT).
 *   exact:   optional add-on to cgroup: syscalls:sys_exit_bind gives the
 *            kernel's errno for bind() syscalls, at the price of putting every
 *            syscall on the host on the tracepoint slow path.
 *
 * Both sets keep per-socket state in a table keyed by socket cookie, so a close is
 * reported only for sockets that held a port we saw them get.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "consts.bpf.h"
#include "core_fixes.bpf.h"
#include "bindwatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "events.bpf.h"

/* ------------------------------------------------------------ fentry set */

/* The sockaddr a bind asked for, in one probe read; returns the port, host
 * order.  (uaddr is the kernel's copy, but its BTF type is the 16-byte struct
 * sockaddr, too short for plain loads of a sockaddr_in6.) */
static __always_inline __u16 read_sockaddr(__u8 addr[16], __u16 family,
					   const struct sockaddr *uaddr)
{
	if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};

		bpf_probe_read_kernel(&sin6, sizeof(sin6), uaddr);
		__builtin_memcpy(addr, &sin6.sin6_addr, 16);
		return bpf_ntohs(sin6.sin6_port);
	} else {
		struct sockaddr_in sin = {};

		bpf_probe_read_kernel(&sin, sizeof(sin), uaddr);
		__builtin_memcpy(addr, &sin.sin_addr, 4);
		return bpf_ntohs(sin.sin_port);
	}
}

static __always_inline int on_bind_exit(struct socket *sock,
					const struct sockaddr *uaddr, int ret)
{
	struct sock *sk = sock->sk;	/* trusted BTF pointer */
	struct bw_event *e;
	__u8 req[16] = {};
	__u16 family, req_port, port;

	if (!sk || !pid_wanted())
		return 0;
	if (failed_only && !ret)
		goto track;
	family = sk->__sk_common.skc_family;
	req_port = read_sockaddr(req, family, uaddr);
	port = ret ? req_port : sk->__sk_common.skc_num;
	if (!port_wanted(port))
		goto track;
	e = start_event(BW_CTX_BTF);
	if (!e)
		goto track;
	fill_sock_btf(e, sk, BW_CTX_BTF);
	e->kind = BW_EV_BIND;
	e->ret = ret;
	e->req_port = req_port;
	e->port = port;
	__builtin_memcpy(e->addr, req, sizeof(req));
	e->cookie = bpf_get_socket_cookie(sk);
	submit(e);
track:
	if (!ret)
		set_state_simple(bpf_get_socket_cookie(sk), SS_BOUND);
	return 0;
}

SEC("fexit/inet_bind")
int BPF_PROG(fexit_inet_bind, struct socket *sock, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return on_bind_exit(sock, uaddr, ret);
}

SEC("fexit/inet6_bind")
int BPF_PROG(fexit_inet6_bind, struct socket *sock, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return on_bind_exit(sock, uaddr, ret);
}

SEC("fexit/inet_listen")
int BPF_PROG(fexit_inet_listen, struct socket *sock, int backlog, int ret)
{
	struct sock *sk = sock->sk;	/* trusted BTF pointer */

	if (!sk || !pid_wanted())
		return 0;
	if (!ret)
		set_state_simple(bpf_get_socket_cookie(sk), SS_LISTENING);
	if (failed_only && !ret)
		return 0;
	return emit_sock_event_btf(sk, BW_EV_LISTEN, ret, 0,
				   bpf_get_socket_cookie(sk), BW_CTX_BTF);
}

SEC("fentry/inet_release")
int BPF_PROG(fentry_inet_release, struct socket *sock)
{
	struct sock *sk = sock->sk;	/* trusted BTF pointer */
	struct sock_slot *s;
	__u64 cookie;
	__u8 state;

	if (!sk)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	s = sock_find(cookie);
	if (!s)
		return 0;
	state = s->st.state;
	sock_free(s, cookie);
	if (!state || failed_only || !pid_wanted())
		return 0;
	return emit_sock_event_btf(sk, BW_EV_CLOSE, 0,
				   state == SS_LISTENING ? BW_F_LISTENING : 0, cookie,
				   BW_CTX_BTF);
}

/* ------------------------------------------------------------ cgroup set */

/*
 * Each cgroup program comes twice: cg_* read the kernel through read-only
 * casts (BW_CTX_CAST), cgp_* through probe reads (BW_CTX_CGROUP) for kernels
 * whose verifier refuses the casts or bpf_get_current_task_btf() in a
 * cgroup program (6.1).  One body, inlined with ctx_kind a constant, so the
 * two cannot drift apart.  The agent loads one set (loader.c).
 */

/* The socket's cookie: a CAST program reads the one bind4 made (sk_cookie is
 * set once, by the first bpf_get_socket_cookie()); else the helper. */
#define sock_cookie(ctx, sk_cast, ctx_kind) ({				\
	__u64 __c = 0;							\
	if ((ctx_kind) == BW_CTX_CAST)					\
		__c = (sk_cast)->__sk_common.skc_cookie.counter;	\
	if (!__c)							\
		__c = bpf_get_socket_cookie(ctx);			\
	__c;								\
})

/*
 * Fill the socket part of a reserved event from a cgroup context's socket.
 * CGROUP: sock_common in one probe read; -1 if that fails (the caller
 * discards the event).  `raw` is the context's struct bpf_sock pointer.
 */
static __always_inline int fill_sock_ctx(struct bw_event *e, const void *raw,
					 __u8 proto, int ctx_kind, int want_addr)
{
	if (ctx_kind == BW_CTX_CAST) {
		const struct sock *sk = bw_cast(raw, struct sock);

		fill_sock_btf(e, sk, ctx_kind);
		if (want_addr)
			fill_common_addr(e, &sk->__sk_common);
		return 0;
	} else {
		struct sk_head h = {};
		const struct sock_common *c = (const void *)h.b;
		const struct sock *sk = as_sock(raw);

		if (read_head(&h, sk))
			return -1;
		fill_sock_cg(e, sk, c, proto);
		if (want_addr)
			fill_common_addr(e, c);
		return 0;
	}
}

/* Reserve, fill who and what socket; NULL if either fails. */
static __always_inline struct bw_event *start_sock_event(const void *raw, __u8 proto,
							 int ctx_kind, int want_addr)
{
	struct bw_event *e = start_event(ctx_kind);

	if (!e)
		return NULL;
	if (fill_sock_ctx(e, raw, proto, ctx_kind, want_addr)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return NULL;
	}
	return e;
}

/*
 * Report a bind that failed before we could see it fail: the socket is being
 * bound again or released while its last bind left it unbound.
 */
static __always_inline void emit_stale_failure(const void *raw, __u8 proto,
					       const struct sock_state *st,
					       __u64 cookie, int ctx_kind)
{
	struct bw_event *e;

	if (!port_wanted(st->req_port))
		return;
	e = start_sock_event(raw, proto, ctx_kind, 0);
	if (!e)
		return;
	e->kind = BW_EV_BIND;
	e->ret = 1;
	e->flags = BW_F_FROM_CLOSE;
	e->port = st->req_port;
	e->req_port = st->req_port;
	__builtin_memcpy(e->addr, st->req_addr, sizeof(e->addr));
	e->cookie = cookie;
	submit(e);
}

static __always_inline void fill_attempt(struct bw_event *e,
					 const struct sock_state *st,
					 __u64 cookie)
{
	e->kind = BW_EV_BIND_ATTEMPT;
	e->port = st->req_port;
	e->req_port = st->req_port;
	__builtin_memcpy(e->addr, st->req_addr, sizeof(e->addr));
	e->cookie = cookie;
}

static __always_inline int on_cgroup_bind(struct bpf_sock_addr *ctx,
					  __u16 family, int ctx_kind)
{
	struct sock_state st = {};
	struct sock_slot *s;
	struct bw_event *e;
	__u16 req_port = bpf_ntohs(ctx->user_port);
	__u8 proto = ctx->protocol;
	__u64 cookie;
	int fresh = 0;

	if (!pid_wanted() || !ctx->sk)
		return 1;
	/* A socket whose cookie was never made has no state here (state is
	 * keyed by the cookie bpf_get_socket_cookie() makes): no search. */
	if (ctx_kind == BW_CTX_CAST)
		fresh = !bw_cast(ctx->sk, struct sock)->__sk_common.skc_cookie.counter;
	cookie = bpf_get_socket_cookie(ctx);
	st.state = SS_PENDING;
	st.req_port = req_port;
	st.family = family;
	if (family == AF_INET6) {
		/* the context allows only 4-byte loads of user_ip6 */
		__u32 *a = (__u32 *)st.req_addr;

		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
	} else {
		*(__u32 *)st.req_addr = ctx->user_ip4;
	}
	/* the attempt event (or, in exact mode, sys_exit_bind) answers for a
	 * fixed port; see below */
	st.attempt_sent = req_port && port_wanted(req_port);

	/* A socket bound again: a bind that did not come back with post_bind
	 * failed, and is reported now if no attempt event already stands for
	 * it. */
	s = fresh ? NULL : sock_find(cookie);
	if (s) {
		if (s->st.state == SS_PENDING && !s->st.attempt_sent)
			emit_stale_failure(ctx->sk, proto, &s->st, cookie, ctx_kind);
	} else {
		s = sock_claim(cookie);
	}
	if (s)
		s->st = st;

	/*
	 * Port 0 cannot collide (short of an exhausted range), so it costs no
	 * event here; a fixed port gets an attempt event so that a failure is
	 * known at once, not only at close.  In exact mode sys_exit_bind says
	 * it, with the kernel's errno.
	 */
	if (!st.attempt_sent)
		return 1;
	if (exact_errno) {
		struct bw_event pend = {};
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		fill_task(&pend, ctx_kind);
		if (fill_sock_ctx(&pend, ctx->sk, proto, ctx_kind, 0))
			return 1;
		fill_attempt(&pend, &st, cookie);
		pend.kind = BW_EV_BIND;
		bpf_map_update_elem(&inflight, &tid, &pend, BPF_ANY);
		return 1;
	}
	e = start_sock_event(ctx->sk, proto, ctx_kind, 0);
	if (!e)
		return 1;
	fill_attempt(e, &st, cookie);
	submit(e);
	return 1;
}

SEC("cgroup/bind4")
int cg_bind4(struct bpf_sock_addr *ctx)
{
	return on_cgroup_bind(ctx, AF_INET, BW_CTX_CAST);
}

SEC("cgroup/bind6")
int cg_bind6(struct bpf_sock_addr *ctx)
{
	return on_cgroup_bind(ctx, AF_INET6, BW_CTX_CAST);
}

SEC("cgroup/bind4")
int cgp_bind4(struct bpf_sock_addr *ctx)
{
	return on_cgroup_bind(ctx, AF_INET, BW_CTX_CGROUP);
}

SEC("cgroup/bind6")
int cgp_bind6(struct bpf_sock_addr *ctx)
{
	return on_cgroup_bind(ctx, AF_INET6, BW_CTX_CGROUP);
}

static __always_inline int on_post_bind(struct bpf_sock *ctx, int ctx_kind)
{
	struct sock_state *st = NULL;
	struct sock_slot *s;
	struct bw_event *e;
	__u16 port = ctx->src_port;
	__u64 cookie;

	if (!pid_wanted())
		return 1;
	cookie = sock_cookie(ctx, bw_cast(ctx, struct sock), ctx_kind);
	s = sock_find(cookie);
	if (s) {
		st = &s->st;
		st->state = SS_BOUND;
	}
	if (exact_errno) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		bpf_map_delete_elem(&inflight, &tid);
	}
	if (failed_only || !port_wanted(port))
		return 1;
	e = start_sock_event(ctx, ctx->protocol, ctx_kind, !st);
	if (!e)
		return 1;
	e->kind = BW_EV_BIND;
	e->port = port;
	e->req_port = st ? st->req_port : port;
	if (st)
		__builtin_memcpy(e->addr, st->req_addr, sizeof(e->addr));
	e->cookie = cookie;
	submit(e);
	return 1;
}

SEC("cgroup/post_bind4")
int cg_post_bind4(struct bpf_sock *ctx)
{
	return on_post_bind(ctx, BW_CTX_CAST);
}

SEC("cgroup/post_bind6")
int cg_post_bind6(struct bpf_sock *ctx)
{
	return on_post_bind(ctx, BW_CTX_CAST);
}

SEC("cgroup/post_bind4")
int cgp_post_bind4(struct bpf_sock *ctx)
{
	return on_post_bind(ctx, BW_CTX_CGROUP);
}

SEC("cgroup/post_bind6")
int cgp_post_bind6(struct bpf_sock *ctx)
{
	return on_post_bind(ctx, BW_CTX_CGROUP);
}

static __always_inline int on_sock_release(struct bpf_sock *ctx, int ctx_kind)
{
	struct sock_state copy;
	struct sock_slot *s;
	__u8 flags;
	__u64 cookie = sock_cookie(ctx, bw_cast(ctx, struct sock), ctx_kind);
	__u8 proto = ctx->protocol;

	s = sock_find(cookie);
	if (!s)
		return 1;
	copy = s->st;
	sock_free(s, cookie);
	if (!copy.state || !pid_wanted())
		return 1;
	if (copy.state == SS_PENDING) {
		if (!copy.attempt_sent)
			emit_stale_failure(ctx, proto, &copy, cookie, ctx_kind);
		return 1;
	}
	if (failed_only)
		return 1;
	flags = copy.state == SS_LISTENING ? BW_F_LISTENING : 0;
	if (ctx_kind == BW_CTX_CAST)
		emit_sock_event_btf(bw_cast(ctx, struct sock), BW_EV_CLOSE, 0, flags,
				    cookie, ctx_kind);
	else
		emit_sock_event_cg(as_sock(ctx), proto, BW_EV_CLOSE, 0, flags, cookie);
	return 1;
}

SEC("cgroup/sock_release")
int cg_sock_release(struct bpf_sock *ctx)
{
	return on_sock_release(ctx, BW_CTX_CAST);
}

SEC("cgroup/sock_release")
int cgp_sock_release(struct bpf_sock *ctx)
{
	return on_sock_release(ctx, BW_CTX_CGROUP);
}

/*
 * listen() has no cgroup hook.  inet_csk_listen_start() stores TCP_LISTEN
 * without tracing it, then either hashes the socket (traced as a transition
 * out of TCP_CLOSE by nothing) or, when get_port() refuses, goes back to
 * TCP_CLOSE through inet_sk_set_state(), which is traced.  So:
 *   LISTEN -> CLOSE with sk_shutdown == 0 and a live socket: listen failed
 *   (EADDRINUSE: get_port() is the only thing that fails there); a close or
 *   shutdown() of a listener sets sk_shutdown first.
 * The store of TCP_LISTEN itself is traced (seen on 6.1 and 6.18), before
 * get_port() decides: that event is tentative, and the agent holds it back
 * until a failure for the same socket cancels it or the grace time passes.
 */
static __always_inline int on_set_state(struct sock *sk, int oldstate, int newstate,
					int ctx_kind)
{
	struct sock_slot *s;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (!pid_wanted())
		return 0;
	if (newstate == TCP_LISTEN) {
		__u64 cookie = bpf_get_socket_cookie(sk);

		s = sock_find(cookie);
		if (s)
			s->st.state = SS_LISTENING;
		else
			set_state_simple(cookie, SS_LISTENING);
		/* Tentative: get_port() has not run yet.  Sent even when only
		 * failures are wanted, so the agent can pair it with a failure. */
		emit_sock_event_btf(sk, BW_EV_LISTEN, 0, BW_F_TENTATIVE, cookie, ctx_kind);
		return 0;
	}
	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE &&
	    sk->sk_shutdown == 0) {
		__u64 cookie = bpf_get_socket_cookie(sk);

		s = sock_find(cookie);
		if (s)
			s->st.state = SS_BOUND;
		emit_sock_event_btf(sk, BW_EV_LISTEN, -EADDRINUSE, 0, cookie, ctx_kind);
		return 0;
	}
	return 0;
}

/* With the cgroup programs' cast build: the inet flags and the exe name
 * through read-only casts too. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_set_state, struct sock *sk, int oldstate, int newstate)
{
	return on_set_state(sk, oldstate, newstate, BW_CTX_CAST);
}

/* With the probe-read build (6.1): a probe read each for those two. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tpp_set_state, struct sock *sk, int oldstate, int newstate)
{
	return on_set_state(sk, oldstate, newstate, BW_CTX_BTF);
}

/* ------------------------------------------------- outbound connections */

static __always_inline int port_watched(__u16 port)
{
	__u32 zero = 0, idx = (__u32)port >> 3;
	struct port_bitmap *b = bpf_map_lookup_elem(&watched_ports, &zero);

	asm volatile("%0 &= 0x1fff" : "+r"(idx));
	return b && ((b->bits[idx] >> (port & 7)) & 1);
}

static __always_inline int connect_wanted(__u16 port)
{
	return !failed_only && port && port_watched(port) &&
	       pid_wanted();
}

/*
 * A connect whose kernel-chosen local port is a claimed one: the service
 * that claims it cannot bind it while this connection lives.  Only those
 * are sent, so ordinary connections cost a bitmap lookup.  A port the caller
 * bound itself was flagged at bind(); only the kernel's own choice is news.
 */

/* cgroup backend: TCP_CONNECT_CB runs in the connecting task, port chosen */
SEC("sockops")
int cg_sockops(struct bpf_sock_ops *skops)
{
	const struct sock *sk;
	struct bpf_sock *bsk;

	if (skops->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	bsk = skops->sk;
	if (!bsk || !connect_wanted((__u16)skops->local_port))
		return 1;
	sk = as_sock(bsk);
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_userlocks) & SOCK_BINDPORT_LOCK)
		return 1;
	emit_sock_event_cg(sk, IPPROTO_TCP, BW_EV_CONNECT, 0, 0,
			   bpf_get_socket_cookie(skops));
	return 1;
}

static __always_inline int on_connected_btf(const struct sock *sk)
{
	if (!connect_wanted(sk->__sk_common.skc_num) ||
	    (BPF_CORE_READ_BITFIELD(sk, sk_userlocks) & SOCK_BINDPORT_LOCK))
		return 0;
	return emit_sock_event_btf(sk, BW_EV_CONNECT, 0, 0,
				   bpf_get_socket_cookie((void *)sk), BW_CTX_BTF);
}

SEC("fexit/tcp_v4_connect")
int BPF_PROG(fexit_tcp_v4_connect, struct sock *sk, struct sockaddr *uaddr, int addr_len,
	     int ret)
{
	return ret ? 0 : on_connected_btf(sk);
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(fexit_tcp_v6_connect, struct sock *sk, struct sockaddr *uaddr, int addr_len,
	     int ret)
{
	return ret ? 0 : on_connected_btf(sk);
}

/* exact mode only: the kernel's own errno for bind() syscalls. */
SEC("tracepoint/syscalls/sys_exit_bind")
int tp_sys_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct bw_event *pend, *e;

	pend = bpf_map_lookup_elem(&inflight, &tid);
	if (!pend)
		return 0;
	if (ctx->ret < 0) {
		e = reserve();
		if (e) {
			__builtin_memcpy(e, pend, sizeof(*e));
			e->ret = ctx->ret;
			submit(e);
		}
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
