#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "bw_guard.h"
#include "guard.skel.h"
#include "guard.h"
#include "cgroup2.h"
#include "log.h"

#define GUARD_LINKS 4

_Static_assert(sizeof(((struct bw_guard_info *)0)->kept_for) >= POLICY_ALLOW_LEN,
	       "a record's kept_for must hold a whole allow list");
_Static_assert(BW_GUARD_ACT_DENY == BW_GUARD_DENY && BW_GUARD_ACT_AUDIT == BW_GUARD_AUDIT,
	       "a record's guard.action is the kernel's action");

struct guard {
	struct guard_bpf *skel;
	struct bpf_link *links[GUARD_LINKS];
	int cgroup_fd;
	char cgroup_root[1024];
	/* the policy of each generation: events name a rule by (gen, index) */
	struct policy *pol[2];
};

static int proto_slot(__u8 proto)
{
	return proto == IPPROTO_TCP ? BW_GUARD_P_TCP : BW_GUARD_P_UDP;
}

/* The kernel's copy of one rule. */
static void rule_to_kernel(const struct policy_rule *r, struct bw_guard_rule *k)
{
	memset(k, 0, sizeof(*k));
	k->line = r->line;
	k->port_lo = r->port_lo;
	k->port_hi = r->port_hi;
	k->proto = r->proto;
	k->n_uid = (__u8)r->n_uid;
	k->n_cgroup = (__u8)r->n_cgroup;
	k->n_comm = (__u8)r->n_comm;
	memcpy(k->uid, r->uid, sizeof(k->uid));
	memcpy(k->cgroup_id, r->cgroup_id, sizeof(k->cgroup_id));
	memcpy(k->cgroup_level, r->cgroup_level, sizeof(k->cgroup_level));
	for (int i = 0; i < r->n_comm; i++)
		memcpy(&k->comm[i * BW_GUARD_COMM_LEN], r->comm[i], BW_GUARD_COMM_LEN);
}

/* Write p whole into generation gen, which the programs are not reading. */
static void write_gen(struct guard *g, __u32 gen, const struct policy *p)
{
	struct guard_bpf__bss *b = g->skel->bss;

	memset(b->port_bits[gen], 0, sizeof(b->port_bits[gen]));
	memset(b->port_rule[gen], 0, sizeof(b->port_rule[gen]));
	memset(b->rules[gen], 0, sizeof(b->rules[gen]));
	for (size_t i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];

		rule_to_kernel(r, &b->rules[gen][i]);
		for (unsigned int port = r->port_lo; port <= r->port_hi; port++) {
			b->port_rule[gen][proto_slot(r->proto)][port] = (__u16)(i + 1);
			b->port_bits[gen][proto_slot(r->proto)][port >> 3] |= (__u8)(1u << (port & 7));
		}
	}
}

/* Make gen the one the programs read: one aligned 32-bit store, after
 * everything it points at. */
static void flip(struct guard *g, __u32 gen)
{
	__atomic_store_n(&g->skel->bss->active_gen, gen, __ATOMIC_RELEASE);
}

static __u32 active(const struct guard *g)
{
	return __atomic_load_n(&g->skel->bss->active_gen, __ATOMIC_ACQUIRE) & 1;
}

static void warn_missing(const struct policy *p, const struct policy_rule *r, const char *path,
			 void *ctx)
{
	(void)ctx;
	p_warn("%s:%u: cgroup '%s' does not exist now: nobody is allowed through it "
	       "until it does (looked up again every second)", p->file, r->line, path);
}

int guard__open(struct policy *p, int audit, const char *cgroup_root, struct guard **out,
		const char **why)
{
	struct bpf_program *progs[GUARD_LINKS];
	struct guard *g;
	int err, i;

	*why = "allocate the guard";
	g = calloc(1, sizeof(*g));
	if (!g) {
		policy__free(p);
		return -ENOMEM;
	}
	g->cgroup_fd = -1;
	g->pol[0] = p;
	if (cgroup_root) {
		snprintf(g->cgroup_root, sizeof(g->cgroup_root), "%s", cgroup_root);
	} else if ((err = find_cgroup2_root(g->cgroup_root, sizeof(g->cgroup_root)))) {
		*why = "find the cgroup-v2 mount for the guard";
		goto cleanup;
	}
	policy__resolve(p, g->cgroup_root, warn_missing, NULL);
	g->skel = guard_bpf__open();
	if (!g->skel) {
		err = -errno;
		*why = "open the guard BPF object";
		goto cleanup;
	}
	g->skel->rodata->audit_mode = !!audit;
	err = guard_bpf__load(g->skel);
	if (err) {
		*why = "load the guard programs";
		goto cleanup;
	}
	/* the policy is in place before the first program can run */
	write_gen(g, 0, p);
	flip(g, 0);
	g->cgroup_fd = open(g->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g->cgroup_fd < 0) {
		err = -errno;
		*why = "open the cgroup-v2 root for the guard";
		goto cleanup;
	}
	/*
	 * Links on the v2 root: they add to every other cgroup program (all
	 * run, results ANDed; same-cgroup programs in attach order, so the
	 * watch's bind4, attached earlier, runs first and still reports the
	 * attempt), and they end with the agent, even on SIGKILL.
	 */
	progs[0] = g->skel->progs.guard_bind4;
	progs[1] = g->skel->progs.guard_bind6;
	progs[2] = g->skel->progs.guard_post_bind4;
	progs[3] = g->skel->progs.guard_post_bind6;
	for (i = 0; i < GUARD_LINKS; i++) {
		g->links[i] = bpf_program__attach_cgroup(progs[i], g->cgroup_fd);
		if (!g->links[i]) {
			err = -errno;
			*why = "attach the guard to the cgroup-v2 root";
			goto cleanup;
		}
	}
	*out = g;
	return 0;
cleanup:
	guard__free(g);
	return err ? err : -EINVAL;
}

int guard__ring_fd(const struct guard *g)
{
	return bpf_map__fd(g->skel->maps.guard_events);
}

const struct policy *guard__policy(const struct guard *g)
{
	return g->pol[active(g)];
}

static void rule_name(const struct policy *p, const struct policy_rule *r, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s:%u", p->file, r->line);
}

int guard__decode(const struct guard *g, const void *data, size_t len, struct bw_record *out)
{
	const struct bw_guard_event *e = data;
	const struct policy *p;
	struct bw_event *ev = &out->ev;

	if (len < sizeof(*e))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = e->ts_ns;
	ev->cookie = e->cookie;
	ev->cgroup_id = e->cgroup_id;
	ev->pid = e->pid;
	ev->tid = e->tid;
	ev->uid = e->uid;
	ev->netns = e->netns;
	ev->ret = e->action == BW_GUARD_DENY ? -EPERM : 0;
	ev->port = e->port;
	ev->req_port = e->hook == BW_GUARD_HOOK_POST_BIND ? 0 : e->port;
	ev->family = e->family;
	ev->proto = e->proto;
	ev->kind = BW_EV_BIND;
	memcpy(ev->addr, e->addr, sizeof(ev->addr));
	memcpy(ev->comm, e->comm, sizeof(ev->comm));
	out->err = e->action == BW_GUARD_DENY ? EPERM : 0;
	out->err_inferred = 0;
	out->err_guard = out->err != 0;
	out->undecided = 0;
	out->nholders = 0;
	out->nflags = 0;
	out->guard.action = e->action;
	out->guard.post_bind = e->hook == BW_GUARD_HOOK_POST_BIND;
	p = g->pol[e->gen & 1];
	if (p && e->rule < p->n && p->rules[e->rule].line == e->line) {
		rule_name(p, &p->rules[e->rule], out->guard.rule, sizeof(out->guard.rule));
		snprintf(out->guard.kept_for, sizeof(out->guard.kept_for), "%s",
			 p->rules[e->rule].allow);
	} else {
		/* a policy replaced twice since: the line is all that is left */
		snprintf(out->guard.rule, sizeof(out->guard.rule), "?:%u", e->line);
		out->guard.kept_for[0] = 0;
	}
	return 0;
}

int guard__reload(struct guard *g, const char *path, char *err, size_t errlen)
{
	struct policy *fresh = NULL;
	__u32 next = active(g) ^ 1;
	int ret;

	ret = policy__load(path, &fresh, err, errlen);
	if (ret)
		return ret;
	policy__resolve(fresh, g->cgroup_root, warn_missing, NULL);
	write_gen(g, next, fresh);
	flip(g, next);
	/* the generation before last: no program reads it any more */
	policy__free(g->pol[next]);
	g->pol[next] = fresh;
	return 0;
}

int guard__refresh(struct guard *g)
{
	__u32 gen = active(g);
	struct policy *p = g->pol[gen];
	int changed;

	changed = policy__resolve(p, g->cgroup_root, NULL, NULL);
	if (!changed)
		return 0;
	/* the rule's cgroups in place: each id is one aligned 64-bit store,
	 * and a path's depth never changes */
	for (size_t i = 0; i < p->n; i++)
		for (int k = 0; k < p->rules[i].n_cgroup; k++)
			__atomic_store_n(&g->skel->bss->rules[gen][i].cgroup_id[k],
					 p->rules[i].cgroup_id[k], __ATOMIC_RELEASE);
	return changed;
}

/* pid's cgroup-v2 path from /proc/PID/cgroup ("0::/a/b"), or -errno. */
static int proc_cgroup(__u32 pid, char *buf, size_t len)
{
	char path[64], line[1024];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(buf, len, "%s", line + 3);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* Would the rule let this holder bind?  1 yes, 0 no. */
static int holder_allowed(const struct policy_rule *r, const struct bw_holder *h)
{
	char cg[1024];

	for (int i = 0; i < r->n_uid; i++)
		if (r->uid[i] == h->uid)
			return 1;
	if (h->pid && r->n_cgroup && !proc_cgroup(h->pid, cg, sizeof(cg))) {
		for (int i = 0; i < r->n_cgroup; i++) {
			size_t n = strlen(r->cgroup[i]);

			if (!strcmp(r->cgroup[i], "/") ||
			    (!strncmp(cg, r->cgroup[i], n) && (cg[n] == 0 || cg[n] == '/')))
				return 1;
		}
	}
	for (int i = 0; h->pid && i < r->n_comm; i++)
		if (!strncmp(r->comm[i], h->comm, BW_GUARD_COMM_LEN))
			return 1;
	return 0;
}

int guard__check_holders(const struct guard *g, const struct snapshot *s,
			 void (*cb)(const struct bw_record *r, void *ctx), void *ctx)
{
	const struct policy *p = guard__policy(g);
	struct bw_record *rec;
	int n = 0;

	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct bw_holder *h = &s->socks[i].h;
		const struct policy_rule *r = policy__find(p, h->proto, h->port);

		if (!r || holder_allowed(r, h))
			continue;
		memset(rec, 0, sizeof(*rec));
		rec->ev.kind = BW_EV_BIND;
		rec->ev.cookie = s->socks[i].cookie;
		rec->ev.pid = h->pid;
		rec->ev.uid = h->uid;
		rec->ev.netns = h->netns;
		rec->ev.port = h->port;
		rec->ev.req_port = h->port;
		rec->ev.family = h->family;
		rec->ev.proto = h->proto;
		memcpy(rec->ev.addr, h->addr, sizeof(rec->ev.addr));
		memcpy(rec->ev.comm, h->comm, sizeof(rec->ev.comm));
		snprintf(rec->exe, sizeof(rec->exe), "%s", h->exe);
		rec->container = h->container;
		rec->guard.action = BW_GUARD_ACT_HELD;
		rule_name(p, r, rec->guard.rule, sizeof(rec->guard.rule));
		snprintf(rec->guard.kept_for, sizeof(rec->guard.kept_for), "%s", r->allow);
		cb(rec, ctx);
		n++;
	}
	free(rec);
	return n;
}

int guard__dropped(const struct guard *g, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.guard_drops), &zero, vals)) {
		err = -errno;
		goto cleanup;
	}
	*out = 0;
	for (int i = 0; i < ncpu; i++)
		*out += vals[i];
cleanup:
	free(vals);
	return err;
}

void guard__free(struct guard *g)
{
	if (!g)
		return;
	for (int i = 0; i < GUARD_LINKS; i++)
		bpf_link__destroy(g->links[i]);
	if (g->cgroup_fd >= 0)
		close(g->cgroup_fd);
	guard_bpf__destroy(g->skel);
	policy__free(g->pol[0]);
	policy__free(g->pol[1]);
	free(g);
}
