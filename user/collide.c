#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "collide.h"
#include "flag.h"
#include "netns.h"
#include "ports.h"
#include "proc.h"
#include "snapshot.h"

#define NETNS_CACHE 64
#define GRAVEYARD 256

/* Sockets closed lately: a failure is judged a little after it happened (the
 * cgroup backend's grace time), and its holder may close meanwhile. */
struct grave {
	struct port_entry e;
	__u64 closed_ns;	/* event clock */
};

struct collide {
	struct grave graves[GRAVEYARD];
	size_t table_full;	/* sockets the port table could not take */
	/* the kernel's answer for the last failing port, reused a moment: a
	 * storm of failures must not become a storm of /proc scans */
	struct snapshot last;
	__u64 last_at;		/* event clock; 0: none */
	__u32 last_netns;
	__u16 last_port;
	int stale;		/* events were lost: check holders with the kernel */
	unsigned int ngraves;	/* total ever buried; index modulo GRAVEYARD */
	struct ports *ports;
	struct proc_cache *procs;	/* borrowed */
	struct netns_ports nsp[NETNS_CACHE];
	int nnsp;
};

struct collide *collide__new(size_t max_entries, struct proc_cache *procs)
{
	struct collide *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ports = ports__new(max_entries);
	if (!c->ports) {
		free(c);
		return NULL;
	}
	c->procs = procs;
	return c;
}

void collide__free(struct collide *c)
{
	if (!c)
		return;
	ports__free(c->ports);
	snapshot__free(&c->last);
	free(c);
}

size_t collide__tracked(const struct collide *c)
{
	return ports__count(c->ports);
}

size_t collide__table_full(const struct collide *c)
{
	return c->table_full;
}

void collide__mark_stale(struct collide *c)
{
	c->stale = 1;
}

/* The one way a socket enters the port table; a refusal is counted. */
static int table_add(struct collide *c, const struct sock_desc *d, __u64 cookie, __u64 since_ns,
		     __u64 cgroup_id, __u32 pid, const char *comm, int kernel_chose)
{
	struct port_entry e;
	int err;

	memset(&e, 0, sizeof(e));
	e.d = *d;
	e.cookie = cookie;
	e.since_ns = since_ns;
	e.cgroup_id = cgroup_id;
	e.pid = pid;
	e.kernel_chose = (__u8)kernel_chose;
	memcpy(e.comm, comm, sizeof(e.comm));
	err = ports__upsert(c->ports, &e);
	if (err)
		c->table_full++;
	return err;
}

static void desc_of_holder(const struct bw_holder *h, struct sock_desc *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->addr, h->addr, sizeof(d->addr));
	d->netns = h->netns;
	d->uid = h->uid;
	d->family = h->family;
	d->port = h->port;
	d->proto = h->proto;
	d->listening = h->listening;
}

int collide__seed(struct collide *c, const struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct bw_holder *h = &s->socks[i].h;
		struct sock_desc d;
		int err;

		desc_of_holder(h, &d);
		err = table_add(c, &d, s->socks[i].cookie, 0, 0, h->pid, h->comm, 0);
		if (err && err != -ENOSPC)
			return err;
	}
	return 0;
}

static void desc_of(const struct bw_event *ev, struct sock_desc *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->addr, ev->addr, sizeof(d->addr));
	d->netns = ev->netns;
	d->uid = ev->uid;
	d->bound_dev_if = ev->bound_dev_if;
	d->family = ev->family;
	d->port = ev->port;
	d->proto = ev->proto;
	d->opts = ev->opts;
}

static void holder_of(struct collide *c, const struct port_entry *e, __u64 now,
		      struct bw_holder *h)
{
	memset(h, 0, sizeof(*h));
	h->cookie = e->cookie;
	h->since_ns = e->since_ns;
	h->pid = e->pid;
	h->uid = e->d.uid;
	h->netns = e->d.netns;
	h->port = e->d.port;
	h->family = e->d.family;
	h->proto = e->d.proto;
	h->listening = e->d.listening;
	memcpy(h->addr, e->d.addr, sizeof(h->addr));
	memcpy(h->comm, e->comm, sizeof(h->comm));
	if (e->pid)
		proc_cache__exe(c->procs, e->pid, now, h->exe, sizeof(h->exe));
}

static void since_str(__u64 real_ns, char *buf, size_t len)
{
	time_t t = (time_t)(real_ns / 1000000000ull);
	struct tm tm;

	if (!real_ns) {
		snprintf(buf, len, "before bindwatch started");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, len, "since %H:%M:%S", &tm);
}

static void endpoint_str(const struct bw_event *ev, char *buf, size_t len)
{
	char a[64];

	addr_str(ev->family, ev->addr, a, sizeof(a));
	snprintf(buf, len, ev->family == AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s", a, ev->port,
		 proto_name(ev->proto));
}

struct find_ctx {
	struct collide *c;
	struct bw_record *r;
	const struct sock_desc *me;
	__u64 cookie;
	__u64 now;
};

static int find_holder(const struct port_entry *e, void *arg)
{
	struct find_ctx *f = arg;

	if (e->cookie == f->cookie || f->r->nholders >= BW_MAX_HOLDERS)
		return 0;
	if (sock_conflicts(f->me, &e->d))
		holder_of(f->c, e, f->now, &f->r->holders[f->r->nholders++]);
	return 0;
}

/* The sockets on the failing port now, with their owners, from the kernel. */
static int kernel_port(const struct bw_record *r, __u16 port, struct snapshot *s)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", r->ev.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && netns_inode_of_fd(fd) != r->ev.netns) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fd = netns_open_by_inode(r->ev.netns);
	if (fd < 0)
		return fd;
	err = snapshot__take(s, fd, port, 1);
	close(fd);
	return err;
}

#define KERNEL_REUSE_NS 100000000ull	/* 100 ms */

/* kernel_port(), the answer reused for 100 ms on the same port; NULL if none. */
static const struct snapshot *kernel_port_cached(struct collide *c, const struct bw_record *r,
						 __u16 port, __u64 now)
{
	/* stale: holders are dropped on the kernel's word, which must be fresh */
	if (!c->stale && c->last_at && c->last_netns == r->ev.netns && c->last_port == port &&
	    now >= c->last_at && now - c->last_at < KERNEL_REUSE_NS)
		return &c->last;
	snapshot__free(&c->last);
	c->last_at = 0;
	if (kernel_port(r, port, &c->last))
		return NULL;
	c->last_at = now ? now : 1;
	c->last_netns = r->ev.netns;
	c->last_port = port;
	return &c->last;
}

/* The table had no answer: the kernel's sockets on the port. */
static void from_kernel(struct bw_record *r, const struct sock_desc *me, const struct snapshot *s)
{
	int any = 0;

	/* by the rules first; if the rules clear everyone (options we cannot
	 * see from sock_diag), every socket on the port rather than nobody */
	for (int pass = 0; pass < 2 && !any; pass++) {
		for (size_t i = 0; i < s->n && r->nholders < BW_MAX_HOLDERS; i++) {
			struct sock_desc d;
			const struct bw_holder *h = &s->socks[i].h;

			if (s->socks[i].cookie == r->ev.cookie || h->proto != me->proto)
				continue;
			desc_of_holder(h, &d);
			d.netns = me->netns;
			if (pass == 0 && !sock_conflicts(me, &d))
				continue;
			r->holders[r->nholders] = *h;
			r->holders[r->nholders].netns = me->netns;
			r->nholders++;
			any = 1;
		}
	}
}

/* Is pid still the process named comm?  (A reused pid is another process.) */
static int proc_alive(__u32 pid, const char *comm)
{
	char path[64], buf[BW_COMM_LEN + 1];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	return n >= 0 && (size_t)n < sizeof(buf) && !strncmp(buf, comm, BW_COMM_LEN) &&
	       ((size_t)n == BW_COMM_LEN - 1 || comm[n] == 0);
}

/*
 * The table remembers who bound a socket; the kernel knows who holds it
 * now.  Each holder becomes its current owners (all of them, as ss -p),
 * the binder kept as bound_by when it is not one of them.  Holders from
 * the table [0, ntable) that the kernel no longer has were closed unseen
 * when events were lost (stale): dropped, from the record and the table.
 */
static void holders_now(struct collide *c, struct bw_record *r, int ntable,
			const struct snapshot *s, __u64 now)
{
	for (int i = 0; i < r->nholders; i++) {
		struct bw_holder *h = &r->holders[i];
		const struct bw_holder *k = NULL;
		struct bw_proc binder;

		for (size_t j = 0; j < s->n && h->cookie; j++)
			if (s->socks[j].cookie == h->cookie)
				k = &s->socks[j].h;
		if (!k && c->stale && i < ntable) {
			struct sock_desc d;

			desc_of_holder(h, &d);
			ports__remove(c->ports, &d, h->cookie);
			memmove(h, h + 1, (size_t)(r->nholders - i - 1) * sizeof(*h));
			r->nholders--;
			ntable--;
			i--;
			continue;
		}
		if (!k || !k->nowners) {
			h->exited = h->pid && !proc_alive(h->pid, h->comm);
			if (k)
				h->inode = k->inode;
			continue;
		}
		memset(&binder, 0, sizeof(binder));
		binder.pid = h->pid;
		memcpy(binder.comm, h->comm, sizeof(binder.comm));
		h->inode = k->inode;
		memcpy(h->owners, k->owners, sizeof(h->owners));
		h->nowners = k->nowners;
		h->more_owners = k->more_owners;
		h->pid = k->owners[0].pid;
		memcpy(h->comm, k->owners[0].comm, sizeof(h->comm));
		if (proc_cache__exe(c->procs, h->pid, now, h->exe, sizeof(h->exe)))
			memcpy(h->exe, k->exe, sizeof(h->exe));
		memset(&h->bound_by, 0, sizeof(h->bound_by));
		if (!binder.pid)
			continue;
		for (int o = 0; o < k->nowners; o++)
			if (k->owners[o].pid == binder.pid)
				binder.pid = 0;
		if (binder.pid) {
			binder.exited = !proc_alive(binder.pid, binder.comm);
			h->bound_by = binder;
		}
	}
}

static void flag_collision(const struct collide *c, struct bw_record *r)
{
	const struct bw_event *ev = &r->ev;
	const struct bw_holder *h = r->nholders ? &r->holders[0] : NULL;
	char me[64], them[64], ep[96], since[48], by[96] = "", full[128] = "";
	struct bw_flag *f = flag__add(r, BW_FLAG_COLLISION, BW_SEV_ERROR, NULL);
	int n;

	if (!f)
		return;
	format_who(ev->comm, ev->pid, me, sizeof(me));
	endpoint_str(ev, ep, sizeof(ep));
	if (c->table_full)
		snprintf(full, sizeof(full), "; %zu sockets were not tracked (port table full): "
			 "a holder may be missing", c->table_full);
	if (!h) {
		snprintf(f->message, sizeof(f->message),
			 "%s %s by %s failed: no holder found in the table or the kernel "
			 "(it may have gone already)%s", kind_name(ev->kind), ep, me, full);
		return;
	}
	format_who(h->comm, h->pid, them, sizeof(them));
	since_str(h->since_ns, since, sizeof(since));
	if (h->bound_by.pid) {
		char b[64];

		format_who(h->bound_by.comm, h->bound_by.pid, b, sizeof(b));
		snprintf(by, sizeof(by), ", bound by %s%s", b,
			 h->bound_by.exited ? " (exited)" : "");
	}
	n = snprintf(f->message, sizeof(f->message), "%s %s by %s failed: held by %s%s%s (%s %s)%s%s%s",
		     kind_name(ev->kind), ep, me, them,
		     h->pid ? "" : (h->inode ? " (socket inode known only)" : ""),
		     h->exited ? " (exited)" : "",
		     h->listening ? "listening" : "bound", since, by,
		     r->nholders > 1 ? " and others" : "", full);
	if (n >= (int)sizeof(f->message))	/* said, not silent */
		memcpy(f->message + sizeof(f->message) - 4, "...", 4);
}

struct share_ctx {
	struct collide *c;
	struct bw_record *r;
	const struct sock_desc *me;
	__u64 now;
	int done_reuseport, done_dualstack;
};

/* the first 512 bytes decide: replicas share their command line whole */
static int same_cmdline(__u32 a, __u32 b)
{
	char ba[513], bb[513];
	ssize_t na = proc_read_cmdline(a, ba, sizeof(ba));
	ssize_t nb = proc_read_cmdline(b, bb, sizeof(bb));

	return na > 0 && na == nb && !memcmp(ba, bb, (size_t)na);
}

static int find_sharers(const struct port_entry *e, void *arg)
{
	struct share_ctx *s = arg;
	const struct bw_event *ev = &s->r->ev;
	char me[64], them[64], ep[96], exe[BW_PATH_MAX] = "";
	struct bw_flag *f;

	if (e->cookie == ev->cookie || !e->pid || e->pid == ev->pid)
		return 0;
	format_who(ev->comm, ev->pid, me, sizeof(me));
	format_who(e->comm, e->pid, them, sizeof(them));
	endpoint_str(ev, ep, sizeof(ep));
	if (!s->done_reuseport && (ev->opts & e->d.opts & BW_OPT_REUSEPORT) &&
	    e->d.family == s->me->family && addr_overlaps(s->me, &e->d)) {
		int replica;

		proc_cache__exe(s->c->procs, e->pid, s->now, exe, sizeof(exe));
		replica = !strcmp(exe, s->r->exe) && e->d.uid == ev->uid &&
			  e->cgroup_id == ev->cgroup_id && same_cmdline(e->pid, ev->pid);
		f = flag__add(s->r, BW_FLAG_REUSEPORT_SHARED,
			      replica ? BW_SEV_INFO : BW_SEV_WARNING, NULL);
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "%s shares %s with %s through SO_REUSEPORT: %s", me, ep, them,
				 replica ? "replicas of one command line"
					 : "a different program takes part of its traffic");
		s->done_reuseport = 1;
	}
	if (!s->done_dualstack && e->d.family != ev->family &&
	    addr_is_any(ev->family, ev->addr) && addr_is_any(e->d.family, e->d.addr)) {
		f = flag__add(s->r, BW_FLAG_DUALSTACK, BW_SEV_WARNING, NULL);
		if (f)
			snprintf(f->message, sizeof(f->message),
				 "%s holds the %s wildcard of port %u/%s, %s holds the %s one: "
				 "clients reach different services by address family",
				 me, ev->family == AF_INET6 ? "IPv6" : "IPv4", ev->port,
				 proto_name(ev->proto), them,
				 e->d.family == AF_INET6 ? "IPv6" : "IPv4");
		s->done_dualstack = 1;
	}
	return 0;
}

static const struct netns_ports *ports_of_netns(struct collide *c, __u32 netns, __u32 pid)
{
	int i;

	for (i = 0; i < c->nnsp; i++)
		if (c->nsp[i].netns == netns)
			return &c->nsp[i];
	i = c->nnsp < NETNS_CACHE ? c->nnsp++ : (int)(netns % NETNS_CACHE);
	netns_ports_read(netns, pid, &c->nsp[i]);
	return &c->nsp[i];
}

static void flag_ephemeral(struct collide *c, struct bw_record *r, int kernel_chose)
{
	const struct netns_ports *np;
	struct bw_flag *f;
	char me[64], ep[96];

	if (kernel_chose || !r->ev.port)
		return;
	np = ports_of_netns(c, r->ev.netns, r->ev.pid);
	if (!port_is_ephemeral(np, r->ev.port))
		return;
	f = flag__add(r, BW_FLAG_EPHEMERAL, BW_SEV_WARNING, NULL);
	if (!f)
		return;
	format_who(r->ev.comm, r->ev.pid, me, sizeof(me));
	endpoint_str(&r->ev, ep, sizeof(ep));
	snprintf(f->message, sizeof(f->message),
		 "%s serves %s inside the ephemeral range %u-%u: an outbound connection "
		 "can take the port first; reserve it with sysctl "
		 "net.ipv4.ip_local_reserved_ports=%u",
		 me, ep, np->lo, np->hi, r->ev.port);
}

struct find_own {
	__u64 cookie;
	int kernel_chose;
	int found;
};

static int find_own(const struct port_entry *e, void *arg)
{
	struct find_own *f = arg;

	if (e->cookie != f->cookie)
		return 0;
	f->kernel_chose = e->kernel_chose;
	f->found = 1;
	return 1;
}

static int copy_own(const struct port_entry *e, void *arg)
{
	struct port_entry *dst = arg;

	if (e->cookie != dst->cookie)
		return 0;
	*dst = *e;
	return 1;
}

void collide__apply(struct collide *c, struct bw_record *r, __u64 now_mono)
{
	const struct bw_event *ev = &r->ev;
	struct sock_desc me;

	desc_of(ev, &me);
	if (ev->proto != IPPROTO_TCP && ev->proto != IPPROTO_UDP)
		return;
	if (r->err == EADDRINUSE) {
		struct find_ctx f = { c, r, &me, ev->cookie, now_mono };
		const struct snapshot *ks;
		int ntable;

		me.listening = ev->kind == BW_EV_LISTEN;
		if (me.listening) {
			/* listen() reports the bound address, the table knows the options */
			struct find_own own = { ev->cookie, 0, 0 };

			ports__for_port(c->ports, &me, find_own, &own);
		}
		ports__for_port(c->ports, &me, find_holder, &f);
		ntable = r->nholders;
		for (unsigned int i = 0; i < GRAVEYARD && i < c->ngraves; i++) {
			const struct grave *g = &c->graves[i];

			if (g->closed_ns >= ev->ts_ns && g->e.d.port == me.port &&
			    g->e.d.netns == me.netns && g->e.d.proto == me.proto)
				find_holder(&g->e, &f);
		}
		/* who holds it now, and whether the table's holders still exist */
		ks = kernel_port_cached(c, r, me.port, now_mono);
		if (ks) {
			holders_now(c, r, ntable, ks, now_mono);
		} else {	/* no word from the kernel: at least say who is gone */
			for (int i = 0; i < r->nholders; i++)
				r->holders[i].exited = r->holders[i].pid &&
						       !proc_alive(r->holders[i].pid, r->holders[i].comm);
		}
		if (!r->nholders && ks)
			from_kernel(r, &me, ks);
		flag_collision(c, r);
		return;
	}
	if (r->err)
		return;
	switch (ev->kind) {
	case BW_EV_BIND: {
		struct share_ctx s = { c, r, &me, now_mono, 0, 0 };

		ports__for_port(c->ports, &me, find_sharers, &s);
		table_add(c, &me, ev->cookie, r->ts_real_ns, ev->cgroup_id, ev->pid, ev->comm,
			  ev->req_port == 0);
		if (ev->proto == IPPROTO_UDP)
			flag_ephemeral(c, r, ev->req_port == 0);
		break;
	}
	case BW_EV_LISTEN: {
		struct find_own own = { ev->cookie, 0, 0 };

		ports__for_port(c->ports, &me, find_own, &own);
		if (own.found) {
			ports__set_listening(c->ports, &me, ev->cookie);
		} else {	/* listen without bind: the kernel chose the port */
			struct sock_desc d = me;

			d.listening = 1;
			own.kernel_chose = 1;
			table_add(c, &d, ev->cookie, r->ts_real_ns, ev->cgroup_id, ev->pid, ev->comm, 1);
		}
		flag_ephemeral(c, r, own.kernel_chose);
		break;
	}
	case BW_EV_CLOSE: {
		struct grave *g = &c->graves[c->ngraves % GRAVEYARD];

		/* keep a copy a while: a failure judged late may still name it */
		memset(&g->e, 0, sizeof(g->e));
		g->e.cookie = ev->cookie;
		ports__for_port(c->ports, &me, copy_own, &g->e);
		if (g->e.cookie == ev->cookie && g->e.d.port) {
			g->closed_ns = ev->ts_ns;
			c->ngraves++;
		}
		ports__remove(c->ports, &me, ev->cookie);
		break;
	}
	}
}
