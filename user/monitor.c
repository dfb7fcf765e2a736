#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "claims.h"
#include "collide.h"
#include "container.h"
#include "infer.h"
#include "snapshot.h"
#include "log.h"
#include "monitor.h"
#include "output.h"
#include "privs.h"
#include "proc.h"
#include "record.h"
#include "sbuf.h"
#include "guard.h"

#define PENDING_MAX 4096

/* Attempts (cgroup backend) waiting for their success event, oldest first. */
struct pending {
	struct bw_event ev[PENDING_MAX];
	unsigned int head, count;
};

struct monitor {
	const struct monitor_opts *o;
	struct proc_cache *procs;
	struct collide *coll;
	struct container_cache *containers;
	struct netns_slot { __u32 inode; __u64 at_ns; char name[64]; } ns_names[16];
	struct pending pend;
	struct bw_record rec;	/* the one being reported */
	struct bw_summary sum;
	struct sbuf out;
	__u64 real_minus_mono;	/* wall clock = monotonic + this */
	__u32 self_netns;
	unsigned int unpriv_start;
	int write_err;
	int listen_err_inferred;
	/* guard: the refusals' sockets, newest last, so their bind attempts
	 * are reported as refused (EPERM) and never as collisions */
	struct guard *guard;
	__u64 denied[64];
	unsigned int ndenied;
	__u64 guard_refresh_ns;
};

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static unsigned int read_unpriv_start(void)
{
	unsigned int v = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

/* One JSON record: to the sink, or to the stdout buffer. */
static void emit_json(struct monitor *m, struct sbuf *line)
{
	int err;

	if (!m->o->sink) {
		sbuf_puts(&m->out, line->buf ? line->buf : "");
		sbuf_putc(&m->out, '\n');
		return;
	}
	err = m->o->sink->line(m->o->sink->ctx, line->buf ? line->buf : "", line->len);
	if (err && !m->write_err)
		m->write_err = err;
}

static void flush_out(struct monitor *m)
{
	if (!m->out.len)
		return;
	if (fwrite(m->out.buf, 1, m->out.len, stdout) != m->out.len)
		m->write_err = -EIO;
	fflush(stdout);
	sbuf_reset(&m->out);
}

static void flush_out(struct monitor *m);

/* The netns's name, cached a second: names appear as `ip netns add` runs. */
static void netns_name_cached(struct monitor *m, __u32 inode, __u64 now, char *buf,
			      size_t len)
{
	struct netns_slot *s = &m->ns_names[inode % 16];

	if (s->inode != inode || now - s->at_ns > 1000000000ull) {
		s->inode = inode;
		s->at_ns = now;
		netns_name(inode, m->self_netns, s->name, sizeof(s->name));
	}
	snprintf(buf, len, "%s", s->name);
}

static int container_wanted(const struct monitor *m, const struct container_info *ci)
{
	const char *want = m->o->container;

	if (!want)
		return 1;
	return ci && ci->id[0] &&
	       (!strncmp(ci->id, want, strlen(want)) || !strcmp(ci->name, want));
}

/* Who is behind each holder, and the collision message names the container. */
static void resolve_holder_containers(struct monitor *m, struct bw_record *r)
{
	for (int i = 0; i < r->nholders; i++) {
		struct bw_holder *h = &r->holders[i];

		if (h->pid)
			container_cache__by_pid(m->containers, h->pid, &h->container);
	}
	for (int i = 0; i < r->nflags && r->nholders; i++) {
		const struct container_info *c = &r->holders[0].container;
		size_t len = strlen(r->flags[i].message);

		if (strcmp(r->flags[i].kind, "collision") || !c->runtime[0])
			continue;
		if (c->id[0])
			snprintf(r->flags[i].message + len, sizeof(r->flags[i].message) - len,
				 "; holder is %s container %.12s%s%s%s%s%s", c->runtime, c->id,
				 c->name[0] ? " (" : "", c->name, c->name[0] ? ")" : "",
				 c->pod_uid[0] ? " of a Kubernetes pod" : "",
				 c->proxy_ip[0] ? ", through docker-proxy" : "");
		else if (c->unit[0])
			snprintf(r->flags[i].message + len, sizeof(r->flags[i].message) - len,
				 "; holder runs in %s", c->unit);
	}
}

static void report(struct monitor *m, const struct bw_event *e, int err,
		   int inferred)
{
	/* one record reused: it is ~12 KiB, too much to allocate and zero per event */
	struct bw_record *r = &m->rec;

	r->nholders = 0;
	r->nflags = 0;
	r->guard.action = 0;
	r->container.runtime[0] = 0;
	r->netns_name[0] = 0;
	r->exe[0] = 0;
	r->ev = *e;
	r->ev.kind = e->kind == BW_EV_BIND_ATTEMPT ? BW_EV_BIND : e->kind;
	r->ts_real_ns = e->ts_ns + m->real_minus_mono;
	r->err = err;
	r->err_inferred = inferred;
	{
		const struct container_info *ci = container_cache__by_id(m->containers, e->cgroup_id);

		/* agent-side filters choose what is printed, not what the port
		 * table knows: a holder outside the filter is still a holder */
		if ((m->o->netns && e->netns != m->o->netns) || !container_wanted(m, ci)) {
			if (!err)
				collide__apply(m->coll, r, e->ts_ns);
			return;
		}
		if (ci)
			r->container = *ci;
		else
			r->container.cgroup[0] = 0;
	}
	netns_name_cached(m, e->netns, e->ts_ns, r->netns_name, sizeof(r->netns_name));
	if (proc_cache__exe(m->procs, e->pid, e->ts_ns, r->exe, sizeof(r->exe)))
		snprintf(r->exe, sizeof(r->exe), "%.*s", BW_EXE_LEN, e->exe);

	m->sum.events++;
	switch (r->ev.kind) {
	case BW_EV_BIND:
		m->sum.binds++;
		break;
	case BW_EV_LISTEN:
		m->sum.listens++;
		break;
	case BW_EV_CLOSE:
		m->sum.closes++;
		break;
	}
	if (err)
		m->sum.failed++;
	collide__apply(m->coll, r, e->ts_ns);
	resolve_holder_containers(m, r);
	claims_apply(m->o->registry, r);
	claims_steal(m->o->registry, r);
	if (m->o->json) {
		struct sbuf line;

		sbuf_init(&line);
		output_json_record(&line, r);
		emit_json(m, &line);
		sbuf_free(&line);
	} else {
		output_text_record(&m->out, r);
	}
	/* a full ring drained at once must not become megabytes of buffered text */
	if (m->out.len > 64 * 1024)
		flush_out(m);
}

static int infer(struct monitor *m, const struct bw_event *e)
{
	int cap = e->uid == 0, local = -1;

	if (e->req_port && e->req_port < m->unpriv_start) {
		int c = proc_has_net_bind_service(e->pid);

		if (c >= 0)
			cap = c;
	}
	if (e->netns == m->self_netns)
		local = addr_is_local(e->family, e->addr);
	return infer_bind_errno(e, cap, m->unpriv_start, local);
}

/* The default outcome of a pending event whose answer never came. */
static int guard_denied(const struct monitor *m, __u64 cookie)
{
	for (unsigned int i = 0; cookie && i < m->ndenied && i < 64; i++)
		if (m->denied[i] == cookie)
			return 1;
	return 0;
}

static void settle(struct monitor *m, struct bw_event *e)
{
	if (e->kind == BW_EV_BIND_ATTEMPT && guard_denied(m, e->cookie))
		report(m, e, EPERM, 2);			/* the guard refused it */
	else if (e->kind == BW_EV_BIND_ATTEMPT)		/* no success: failed */
		report(m, e, infer(m, e), 1);
	else if (e->kind == BW_EV_LISTEN && !m->o->load.failed_only)
		report(m, e, 0, 0);			/* no failure: listening */
	e->kind = 0;
}

static void expire_pending(struct monitor *m, __u64 now_mono, int all)
{
	struct pending *p = &m->pend;
	__u64 grace = (__u64)m->o->grace_ms * 1000000ull;

	while (p->count) {
		struct bw_event *e = &p->ev[p->head];

		if (!all && e->kind && e->ts_ns + grace > now_mono)
			break;
		if (e->kind)
			settle(m, e);
		p->head = (p->head + 1) % PENDING_MAX;
		p->count--;
	}
}

static void push_pending(struct monitor *m, const struct bw_event *e)
{
	struct pending *p = &m->pend;

	if (p->count == PENDING_MAX) {		/* full: judge the oldest now */
		if (p->ev[p->head].kind)
			settle(m, &p->ev[p->head]);
		p->head = (p->head + 1) % PENDING_MAX;
		p->count--;
	}
	p->ev[(p->head + p->count) % PENDING_MAX] = *e;
	p->count++;
}

/*
 * A new event for a socket answers its pending one: a bind success cancels
 * the attempt, a listen failure cancels the tentative listen.  Anything else
 * settles the pending event first, so a socket's events keep their order.
 */
static void answer_pending(struct monitor *m, const struct bw_event *e)
{
	struct pending *p = &m->pend;
	unsigned int i;

	/* The answer normally follows directly: search newest first. */
	for (i = p->count; i > 0; i--) {
		struct bw_event *q = &p->ev[(p->head + i - 1) % PENDING_MAX];

		if (!q->kind || q->cookie != e->cookie)
			continue;
		if ((q->kind == BW_EV_BIND_ATTEMPT && e->kind == BW_EV_BIND && !e->ret) ||
		    (q->kind == BW_EV_LISTEN && e->kind == BW_EV_LISTEN && e->ret < 0))
			q->kind = 0;
		else
			settle(m, q);
		return;
	}
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct monitor *m = ctx;
	const struct bw_event *e = data;

	if (size < sizeof(*e))
		return 0;
	if (m->pend.count && e->cookie)
		answer_pending(m, e);
	if (e->kind == BW_EV_BIND_ATTEMPT ||
	    (e->kind == BW_EV_LISTEN && (e->flags & BW_F_TENTATIVE))) {
		push_pending(m, e);
		return 0;
	}
	if (e->kind == BW_EV_BIND && e->ret > 0)
		report(m, e, infer(m, e), 1);
	else if (e->kind == BW_EV_LISTEN)
		/* the cgroup backend sees a listen fail by the path the kernel
		 * takes, not by its return value */
		report(m, e, e->ret < 0 ? -e->ret : 0,
		       e->ret < 0 && m->listen_err_inferred);
	else
		report(m, e, e->ret < 0 ? -e->ret : 0, 0);
	return 0;
}

/* One guard record (decoded, or a holder found at start) to the output. */
static void emit_guard(struct monitor *m, struct bw_record *r)
{
	if (r->ev.pid)
		proc_cache__exe(m->procs, r->ev.pid, r->ev.ts_ns, r->exe, sizeof(r->exe));
	if (!r->container.runtime[0]) {
		const struct container_info *ci =
			container_cache__by_id(m->containers, r->ev.cgroup_id);

		if (ci)
			r->container = *ci;
	}
	netns_name_cached(m, r->ev.netns, r->ev.ts_ns, r->netns_name, sizeof(r->netns_name));
	m->sum.events++;
	if (m->o->json) {
		struct sbuf line;

		sbuf_init(&line);
		output_json_guard(&line, r);
		emit_json(m, &line);
		sbuf_free(&line);
	} else {
		output_text_guard(&m->out, r);
	}
}

static int handle_guard(void *ctx, void *data, size_t size)
{
	struct monitor *m = ctx;
	struct bw_record *r = &m->rec;
	__u64 cookie;

	if (guard__decode(m->guard, data, size, r))
		return 0;
	cookie = r->ev.cookie;
	if (r->guard.action == BW_GUARD_DENY) {
		struct pending *p = &m->pend;

		m->denied[m->ndenied++ % 64] = cookie;
		/* the watch's attempt for this socket: refused, not in use */
		for (unsigned int i = p->count; i > 0; i--) {
			struct bw_event *q = &p->ev[(p->head + i - 1) % PENDING_MAX];

			if (q->kind == BW_EV_BIND_ATTEMPT && q->cookie == cookie) {
				settle(m, q);
				guard__decode(m->guard, data, size, r);
				break;
			}
		}
	}
	if (r->guard.action == BW_GUARD_DENY && r->guard.post_bind) {
		/* the watch's post_bind ran first and reported the port taken; the
		 * kernel gave it back: out of the port table */
		r->ev.kind = BW_EV_CLOSE;
		collide__apply(m->coll, r, r->ev.ts_ns);
		r->ev.kind = BW_EV_BIND;
		r->nholders = 0;
		r->nflags = 0;
	}
	r->ts_real_ns = r->ev.ts_ns + m->real_minus_mono;
	r->exe[0] = 0;
	r->container.runtime[0] = 0;
	r->container.cgroup[0] = 0;
	r->netns_name[0] = 0;
	emit_guard(m, r);
	return 0;
}

static void guard_held(const struct bw_record *r, void *ctx)
{
	struct monitor *m = ctx;

	m->rec = *r;
	m->rec.ts_real_ns = now_ns(CLOCK_REALTIME);
	m->rec.ev.ts_ns = now_ns(CLOCK_MONOTONIC);
	emit_guard(m, &m->rec);
}

/* SIGHUP: the policy file again; a bad one keeps the rules in force. */
static void guard_reload(struct monitor *m, __u64 now)
{
	char err[512] = "";
	struct sbuf line;
	int ret = guard__reload(m->guard, m->o->policy_path, err, sizeof(err));

	if (ret)
		p_err("policy not reloaded, the old rules stay in force: %s", err);
	else
		p_info("policy reloaded from %s (%zu rules)", m->o->policy_path,
		       guard__policy(m->guard)->n);
	sbuf_init(&line);
	sbuf_puts(&line, "{\"event\":\"reload\",\"what\":\"policy\",\"ts\":\"");
	format_ts(&line, now + m->real_minus_mono);
	sbuf_printf(&line, "\",\"ok\":%s,\"rules\":%zu", ret ? "false" : "true",
		    guard__policy(m->guard)->n);
	if (ret) {
		sbuf_puts(&line, ",\"error\":");
		sbuf_json_str(&line, err, sizeof(err));
	}
	sbuf_putc(&line, '}');
	if (m->o->json)
		emit_json(m, &line);
	sbuf_free(&line);
}

/* Tell the kernel which ports an outbound connection should not take. */
static void watch_claimed_ports(struct monitor *m, struct bw_loader *l)
{
	static __u8 bitmap[8192];
	int err;

	claims_watch_bitmap(m->o->registry, bitmap);
	err = loader__watch_ports(l, bitmap);
	if (err)
		p_warn("failed to load the claimed ports into the kernel: %s", strerror(-err));
}

/*
 * The record's gaps are records too: ring-buffer drops since the last look
 * (with how many and when), and reloads.  Then the sink's flush policy.
 */
static void sink_tick(struct monitor *m, struct bw_loader *l, __u64 now, __u64 *last_dropped)
{
	const struct bw_line_sink *sk = m->o->sink;
	__u64 dropped = 0;
	struct sbuf line;
	int err;

	sbuf_init(&line);
	if (!loader__counter(l, BW_CNT_DROPPED, &dropped) && dropped > *last_dropped) {
		sbuf_puts(&line, "{\"event\":\"drops\",\"ts\":\"");
		format_ts(&line, now + m->real_minus_mono);
		sbuf_printf(&line, "\",\"dropped\":%llu,\"total\":%llu}",
			    (unsigned long long)(dropped - *last_dropped),
			    (unsigned long long)dropped);
		emit_json(m, &line);
		*last_dropped = dropped;
	}
	if (m->o->hup && *m->o->hup) {
		*m->o->hup = 0;
		err = sk->hup ? sk->hup(sk->ctx) : 0;
		watch_claimed_ports(m, l);
		sbuf_reset(&line);
		sbuf_puts(&line, "{\"event\":\"reload\",\"ts\":\"");
		format_ts(&line, now + m->real_minus_mono);
		sbuf_printf(&line, "\",\"ok\":%s}", err ? "false" : "true");
		emit_json(m, &line);
	}
	sbuf_free(&line);
	err = sk->tick ? sk->tick(sk->ctx, 0) : 0;
	if (err && !m->write_err)
		m->write_err = err;
}

int monitor_run(const struct monitor_opts *o, volatile sig_atomic_t *stop,
		const char **why)
{
	__u64 last_dropped = 0;
	struct bw_loader *l = NULL;
	struct ring_buffer *rb = NULL;
	struct monitor *m;
	struct stat st;
	__u64 start, deadline = 0, dropped = 0;
	struct policy *policy = o->policy;	/* ours until the guard takes it */
	int err;

	m = calloc(1, sizeof(*m));
	if (!m) {
		policy__free(policy);
		return -ENOMEM;
	}
	m->o = o;
	sbuf_init(&m->out);
	m->procs = proc_cache__new();
	if (!m->procs) {
		err = -ENOMEM;
		*why = "allocate the process cache";
		goto cleanup;
	}
	m->unpriv_start = read_unpriv_start();
	if (!stat("/proc/self/ns/net", &st))
		m->self_netns = (__u32)st.st_ino;

	{
		char root[1024] = "/sys/fs/cgroup";

		find_cgroup2_root(root, sizeof(root));
		m->containers = container_cache__new(root, o->data_root);
	}
	m->coll = collide__new(o->max_sockets, m->procs);
	if (!m->coll) {
		err = -ENOMEM;
		*why = "allocate the port table";
		goto cleanup;
	}
	err = loader__open(&o->load, &l, why);
	if (err)
		goto cleanup;
	if (o->policy) {
		/* after the watch: its cgroup programs run first and still see
		 * the attempt; the guard owns the policy from here */
		struct policy *p = o->policy;

		err = guard__open(p, o->guard_audit, NULL, &m->guard, why);
		policy = NULL;
		if (err)
			goto cleanup;
	}
	/* loading parsed the kernel's BTF (megabytes, freed now): give it back */
	malloc_trim(0);
	/* Attached first, then the snapshot: a socket bound in between is seen
	 * by both, and the table merges them by cookie. */
	{
		struct snapshot snap;
		double t0 = (double)now_ns(CLOCK_MONOTONIC);

		err = snapshot__take(&snap, -1, 0, 1);
		if (err) {
			*why = "take the start-up snapshot of bound sockets (sock_diag)";
			goto cleanup;
		}
		if (snap.diag_missing)
			p_warn("the kernel has no sock_diag for TCP or UDP (modprobe inet_diag "
			       "tcp_diag udp_diag): sockets bound before bindwatch started "
			       "cannot be named as holders");
		err = collide__seed(m->coll, &snap);
		p_info("snapshot: %zu bound sockets in %.1f ms", snap.n,
		       ((double)now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
		snapshot__free(&snap);
		if (err) {
			*why = "load the snapshot into the port table";
			goto cleanup;
		}
	}
	watch_claimed_ports(m, l);
	if (o->drop_privs) {
		err = drop_privileges();
		if (err) {
			*why = "drop capabilities after attaching";
			goto cleanup;
		}
	}
	m->listen_err_inferred = !strncmp(loader__backend(l), "cgroup", 6);
	rb = ring_buffer__new(loader__ringbuf_fd(l), handle_event, m, NULL);
	if (!rb) {
		err = -errno;
		*why = "create the ring buffer reader";
		goto cleanup;
	}
	if (m->guard && ring_buffer__add(rb, guard__ring_fd(m->guard), handle_guard, m)) {
		err = -errno;
		*why = "add the guard's ring buffer";
		goto cleanup;
	}
	start = now_ns(CLOCK_MONOTONIC);
	m->real_minus_mono = now_ns(CLOCK_REALTIME) - start;
	if (o->duration > 0)
		deadline = start + (__u64)(o->duration * 1e9);

	if (o->json) {
		struct sbuf line;

		sbuf_init(&line);
		output_json_ready(&line, loader__backend(l), BW_VERSION);
		emit_json(m, &line);
		sbuf_free(&line);
	} else {
		p_warn("watching inet bind/listen/close (backend %s); Ctrl-C to stop",
		       loader__backend(l));
		output_text_header(&m->out);
	}
	if (m->guard) {
		const struct policy *gp = guard__policy(m->guard);
		struct snapshot snap;

		if (o->json) {
			struct sbuf line;

			sbuf_init(&line);
			sbuf_puts(&line, "{\"event\":\"guard_ready\",\"policy\":");
			sbuf_json_str(&line, gp->file, sizeof(gp->file));
			sbuf_printf(&line, ",\"rules\":%zu,\"audit\":%s}", gp->n,
				    o->guard_audit ? "true" : "false");
			emit_json(m, &line);
			sbuf_free(&line);
		} else {
			p_warn("guard: %zu rules from %s %s", gp->n, gp->file,
			       o->guard_audit ? "audited (nothing refused)" : "enforced");
		}
		/* the rules today's holders would break: say so at once */
		if (!snapshot__take(&snap, -1, 0, 1)) {
			guard__check_holders(m->guard, &snap, guard_held, m);
			snapshot__free(&snap);
		}
	}
	flush_out(m);

	while (!*stop) {
		__u64 now;

		err = ring_buffer__poll(rb, (int)o->poll_ms);
		if (err < 0 && err != -EINTR) {
			*why = "read the ring buffer";
			goto cleanup;
		}
		/* Batched wakeups: the poll may time out with data waiting. */
		ring_buffer__consume(rb);
		now = now_ns(CLOCK_MONOTONIC);
		expire_pending(m, now, 0);
		if (m->guard && o->hup && *o->hup) {
			guard_reload(m, now);
			if (!o->sink)	/* the daemon's sink_tick clears it */
				*o->hup = 0;
		}
		if (m->guard && now >= m->guard_refresh_ns) {
			guard__refresh(m->guard);
			m->guard_refresh_ns = now + 1000000000ull;
		}
		flush_out(m);
		if (o->sink)
			sink_tick(m, l, now, &last_dropped);
		if (m->write_err) {
			err = m->write_err;
			*why = o->sink ? "write the log" : "write to standard output";
			goto cleanup;
		}
		if (deadline && now >= deadline)
			break;
	}
	/* Drain: whatever the kernel committed before we stop is reported. */
	ring_buffer__consume(rb);
	expire_pending(m, now_ns(CLOCK_MONOTONIC), 1);
	err = loader__counter(l, BW_CNT_DROPPED, &dropped);
	if (!err)
		err = loader__counter(l, BW_CNT_UNTRACKED, &m->sum.untracked);
	if (err) {
		*why = "read the drop counters";
		goto cleanup;
	}
	m->sum.dropped = dropped;
	m->sum.seconds = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
	if (o->json) {
		struct sbuf line;

		sbuf_init(&line);
		output_json_summary(&line, &m->sum);
		emit_json(m, &line);
		sbuf_free(&line);
	} else {
		output_text_summary(&m->out, &m->sum);
	}
	if (m->sum.untracked)
		p_warn("%llu sockets were not tracked (kernel state table full); "
		       "their close may go unreported", (unsigned long long)m->sum.untracked);
	if (dropped)
		p_warn("%llu events were dropped in the kernel (ring buffer full); "
		       "raise --ringbuf", (unsigned long long)dropped);
	if (m->guard && !guard__dropped(m->guard, &dropped) && dropped)
		p_warn("%llu guard refusals could not be reported (guard ring buffer full)",
		       (unsigned long long)dropped);
	flush_out(m);
	if (o->sink && o->sink->tick && !m->write_err)
		m->write_err = o->sink->tick(o->sink->ctx, 1);
	err = m->write_err;
cleanup:
	ring_buffer__free(rb);
	guard__free(m->guard);
	policy__free(policy);
	loader__free(l);
	collide__free(m->coll);
	container_cache__free(m->containers);
	proc_cache__free(m->procs);
	sbuf_free(&m->out);
	free(m);
	return err;
}
