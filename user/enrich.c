/* Enrich: a decided event -> a record, with what /proc, cgroups, the port
 * table and the registry say about it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "claims.h"
#include "collide.h"
#include "container.h"
#include "enrich.h"
#include "infer.h"
#include "netns.h"
#include "proc.h"
#include "snapshot.h"

struct enrich {
	struct enrich_opts o;
	struct proc_cache *procs;
	struct collide *coll;
	struct container_cache *containers;
	struct netns_slot { __u32 inode; __u64 at_ns; char name[64]; } ns_names[16];
	__u32 self_netns;
	unsigned int unpriv_start;
};

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

int enrich__new(const struct enrich_opts *o, struct enrich **out)
{
	struct enrich *en = calloc(1, sizeof(*en));
	struct stat st;

	if (!en)
		return -ENOMEM;
	en->o = *o;
	en->procs = proc_cache__new();
	/* the port table borrows the process cache: made after it */
	en->coll = en->procs ? collide__new(o->max_sockets, en->procs) : NULL;
	if (!en->coll) {
		enrich__free(en);
		return -ENOMEM;
	}
	/* NULL when it cannot be made: records then name no container */
	en->containers = container_cache__new(o->cgroup_root, o->data_root);
	en->unpriv_start = read_unpriv_start();
	if (!stat("/proc/self/ns/net", &st))
		en->self_netns = (__u32)st.st_ino;
	*out = en;
	return 0;
}

size_t enrich__tracked(const struct enrich *en)
{
	return collide__tracked(en->coll);
}

void enrich__free(struct enrich *en)
{
	if (!en)
		return;
	collide__free(en->coll);
	container_cache__free(en->containers);
	proc_cache__free(en->procs);
	free(en);
}

int enrich__seed(struct enrich *en, const struct snapshot *s)
{
	return collide__seed(en->coll, s);
}

void enrich__drops(struct enrich *en)
{
	collide__mark_stale(en->coll);
}

__u64 enrich__table_full(const struct enrich *en)
{
	return collide__table_full(en->coll);
}

int enrich__infer(struct enrich *en, const struct bw_event *e)
{
	int cap = e->uid == 0, local = -1;

	if (e->req_port && e->req_port < en->unpriv_start) {
		int c = proc_has_net_bind_service(e->pid);

		if (c >= 0)
			cap = c;
	}
	if (e->netns == en->self_netns)
		local = addr_is_local(e->family, e->addr);
	return infer_bind_errno(e, cap, en->unpriv_start, local);
}

/* The netns's name, cached a second: names appear as `ip netns add` runs. */
static void netns_name_cached(struct enrich *en, __u32 inode, __u64 now, char *buf,
			      size_t len)
{
	struct netns_slot *s = &en->ns_names[inode % 16];

	if (s->inode != inode || now - s->at_ns > 1000000000ull) {
		s->inode = inode;
		s->at_ns = now;
		netns_name(inode, en->self_netns, s->name, sizeof(s->name));
	}
	snprintf(buf, len, "%s", s->name);
}

static int container_wanted(const struct enrich *en, const struct container_info *ci)
{
	const char *want = en->o.container;

	if (!want)
		return 1;
	return ci && ci->id[0] &&
	       (!strncmp(ci->id, want, strlen(want)) || !strcmp(ci->name, want));
}

/* Who is behind each holder, and the collision message names the container. */
static void resolve_holder_containers(struct enrich *en, struct bw_record *r)
{
	for (int i = 0; i < r->nholders; i++) {
		struct bw_holder *h = &r->holders[i];

		if (h->pid)
			container_cache__by_pid(en->containers, h->pid, &h->container);
	}
	for (int i = 0; i < r->nflags && r->nholders; i++) {
		const struct container_info *c = &r->holders[0].container;
		size_t len = strlen(r->flags[i].message);

		if (r->flags[i].kind != BW_FLAG_COLLISION || !c->runtime[0])
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

int enrich__record(struct enrich *en, const struct pair_decided *d,
		   const struct registry *reg, __u64 real_minus_mono, struct bw_record *r)
{
	const struct bw_event *e = &d->ev;
	const struct container_info *ci;

	/* one record reused by the caller: it is ~12 KiB, too much to zero per event */
	r->nholders = 0;
	r->nflags = 0;
	r->container.runtime[0] = 0;
	r->netns_name[0] = 0;
	r->exe[0] = 0;
	r->ev = *e;
	r->ts_real_ns = e->ts_ns + real_minus_mono;
	r->err = d->err;
	r->err_inferred = d->inferred;
	r->err_guard = d->guard;
	r->undecided = d->undecided;
	ci = container_cache__by_id(en->containers, e->cgroup_id);
	/* agent-side filters choose what is printed, not what the port table
	 * knows: a holder outside the filter is still a holder */
	if ((en->o.netns && e->netns != en->o.netns) || !container_wanted(en, ci) ||
	    (en->o.failed_only && !d->err && !d->undecided)) {
		if (!d->err && !d->undecided)
			collide__apply(en->coll, r, e->ts_ns);
		return 0;
	}
	if (ci)
		r->container = *ci;
	else
		r->container.cgroup[0] = 0;
	/* a runtime's port reservation (docker-proxy, podman, conmon) names the
	 * container it was starting */
	container_cache__reservation(en->containers, e->pid, e->comm, e->uid, e->port, e->proto,
				     &r->container);
	netns_name_cached(en, e->netns, e->ts_ns, r->netns_name, sizeof(r->netns_name));
	if (proc_cache__exe(en->procs, e->pid, e->ts_ns, r->exe, sizeof(r->exe)))
		snprintf(r->exe, sizeof(r->exe), "%.*s", BW_EXE_LEN, e->exe);
	/* an undecided bind may or may not hold its port: the table is not
	 * told, and no holder or claim is named on a guess */
	if (d->undecided)
		return 1;
	collide__apply(en->coll, r, e->ts_ns);
	resolve_holder_containers(en, r);
	claims_apply(reg, r);
	claims_steal(reg, r);
	return 1;
}

void enrich__other(struct enrich *en, struct bw_record *r)
{
	struct bw_event *e = &r->ev;

	if (r->guard.action == BW_GUARD_ACT_DENY && r->guard.post_bind) {
		__u8 kind = e->kind;
		int err = r->err;

		/* to the table, a close of that socket (which needs no errno) */
		e->kind = BW_EV_CLOSE;
		r->err = 0;
		collide__apply(en->coll, r, e->ts_ns);
		e->kind = kind;
		r->err = err;
		r->nholders = 0;
		r->nflags = 0;
	}
	if (!r->container.runtime[0]) {
		const struct container_info *ci = container_cache__by_id(en->containers,
									 e->cgroup_id);

		if (ci)
			r->container = *ci;
	}
	netns_name_cached(en, e->netns, e->ts_ns, r->netns_name, sizeof(r->netns_name));
	/* a process gone already keeps exe "" (null): never a guess */
	if (!r->exe[0] && e->pid &&
	    proc_cache__exe(en->procs, e->pid, e->ts_ns, r->exe, sizeof(r->exe)))
		r->exe[0] = 0;
}
