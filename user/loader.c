#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "bindwatch.skel.h"
#include "cgroup2.h"
#include "loader.h"
#include "log.h"

#define MAX_LINKS 16

struct bw_loader {
	struct bindwatch_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	/* what the ready record lists: program names, then features */
	const char *hooks[MAX_LINKS + 3];
	int nhooks;
	int cgroup_fd;
	char backend[32];
};

/* The exact mode needs tracefs for the syscall tracepoint's id. */
static int ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) ||
	    !stat("/sys/kernel/debug/tracing/events", &st))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return -errno;
	p_info("mounted tracefs on /sys/kernel/tracing");
	return 0;
}

static struct bpf_program *fentry_progs(struct bindwatch_bpf *s, int i)
{
	struct bpf_program *p[] = {
		s->progs.fexit_inet_bind, s->progs.fexit_inet6_bind,
		s->progs.fexit_inet_listen, s->progs.fentry_inet_release,
		s->progs.fexit_tcp_v4_connect, s->progs.fexit_tcp_v6_connect,
	};
	return i < (int)(sizeof(p) / sizeof(p[0])) ? p[i] : NULL;
}

/*
 * Which programs a load asks for.  The cgroup hooks come in two builds of
 * one body (bpf/bindwatch.bpf.c): cg_* read the kernel through read-only
 * casts, cgp_* through probe-read helpers for kernels whose verifier
 * refuses the casts (6.1); likewise tp_set_state / tpp_set_state.
 */
enum set { SET_FENTRY, SET_CGROUP_CAST, SET_CGROUP_PROBE };

/* The cgroup hooks of one build, then the sock_ops program both share. */
static struct bpf_program *cgroup_progs(struct bindwatch_bpf *s, int i, int cast)
{
	struct bpf_program *p[] = {
		s->progs.cg_bind4, s->progs.cg_bind6, s->progs.cg_post_bind4,
		s->progs.cg_post_bind6, s->progs.cg_sock_release, s->progs.cg_sockops,
	};
	struct bpf_program *pp[] = {
		s->progs.cgp_bind4, s->progs.cgp_bind6, s->progs.cgp_post_bind4,
		s->progs.cgp_post_bind6, s->progs.cgp_sock_release, s->progs.cg_sockops,
	};
	if (i >= (int)(sizeof(p) / sizeof(p[0])))
		return NULL;
	return cast ? p[i] : pp[i];
}

static void set_autoload(struct bindwatch_bpf *s, enum set set, int exact)
{
	struct bpf_program *p;
	int i;

	for (i = 0; (p = fentry_progs(s, i)); i++)
		bpf_program__set_autoload(p, set == SET_FENTRY);
	for (i = 0; (p = cgroup_progs(s, i, 0)); i++)
		bpf_program__set_autoload(p, set == SET_CGROUP_PROBE);
	for (i = 0; (p = cgroup_progs(s, i, 1)); i++)
		bpf_program__set_autoload(p, set == SET_CGROUP_CAST);
	bpf_program__set_autoload(s->progs.cg_sockops, set != SET_FENTRY);
	bpf_program__set_autoload(s->progs.tp_set_state, set == SET_CGROUP_CAST);
	bpf_program__set_autoload(s->progs.tpp_set_state, set == SET_CGROUP_PROBE);
	bpf_program__set_autoload(s->progs.tp_sys_exit_bind, set != SET_FENTRY && exact);
}

static int add_link(struct bw_loader *l, struct bpf_program *p, struct bpf_link *link)
{
	int err;

	if (!link) {
		err = -errno;
		return err ? err : -EINVAL;
	}
	if (l->nlinks >= MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	l->links[l->nlinks++] = link;
	l->hooks[l->nhooks++] = bpf_program__name(p);
	return 0;
}

/* A feature, named after the programs that give it were attached. */
static void add_feature(struct bw_loader *l, const char *name)
{
	if (l->nhooks < (int)(sizeof(l->hooks) / sizeof(l->hooks[0])) - 1)
		l->hooks[l->nhooks++] = name;
}

static void detach_all(struct bw_loader *l)
{
	while (l->nlinks > 0)
		bpf_link__destroy(l->links[--l->nlinks]);
	l->nhooks = 0;
	memset(l->hooks, 0, sizeof(l->hooks));
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;
	bindwatch_bpf__destroy(l->skel);
	l->skel = NULL;
}

static int configure(struct bindwatch_bpf *s, const struct bw_loader_opts *o)
{
	int err;

	s->rodata->filter_pid = o->pid;
	s->rodata->filter_cgroup_id = o->cgroup_id;
	s->rodata->filter_cgroup_level = o->cgroup_level;
	if (o->ports) {
		s->rodata->filter_ports_on = 1;
		memcpy((void *)s->rodata->filter_ports, o->ports,
		       sizeof(s->rodata->filter_ports));
	}
	s->rodata->failed_only = !!o->failed_only;
	s->rodata->exact_errno = !!o->exact_errno;
	s->rodata->wakeup_bytes = o->wakeup_bytes;
	err = bpf_map__set_max_entries(s->maps.events, (__u32)o->ringbuf_bytes);
	return err;
}

/* open -> configure, with only one set of programs set to load. */
static int open_configured(struct bw_loader *l, const struct bw_loader_opts *o, enum set set,
			   const char **why)
{
	int err;

	bindwatch_bpf__destroy(l->skel);
	l->skel = bindwatch_bpf__open();
	if (!l->skel) {
		*why = "open BPF object";
		return -errno;
	}
	err = configure(l->skel, o);
	if (err) {
		*why = "size ring buffer";
		return err;
	}
	set_autoload(l->skel, set, o->exact_errno);
	return 0;
}

/* ... -> load, fentry: one try. */
static int load_fentry(struct bw_loader *l, const struct bw_loader_opts *o, const char **why)
{
	int err = open_configured(l, o, SET_FENTRY, why);

	if (err)
		return err;
	err = bindwatch_bpf__load(l->skel);
	if (err)
		*why = "load fentry programs";
	return err;
}

/*
 * ... -> load, cgroup: the first of these the kernel takes.  The casts need
 * 6.2+ (bpf_rdonly_cast), a cast to void and bpf_get_current_task_btf() in
 * cgroup programs, else the probe-read build: the same facts at a higher
 * cost per event.  Before Linux 6.x a sock_ops program may not ask who the
 * task is: without the connect watch rather than without bindwatch.
 */
static int load_cgroup(struct bw_loader *l, const struct bw_loader_opts *o, const char **why)
{
	static const struct { enum set set; bool sockops; } tries[] = {
		{ SET_CGROUP_CAST, true }, { SET_CGROUP_CAST, false },
		{ SET_CGROUP_PROBE, true }, { SET_CGROUP_PROBE, false },
	};
	int err = -EINVAL;

	for (size_t i = o->probe_reads ? 2 : 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		err = open_configured(l, o, tries[i].set, why);
		if (err)
			return err;
		if (!tries[i].sockops)
			bpf_program__set_autoload(l->skel->progs.cg_sockops, false);
		err = bindwatch_bpf__load(l->skel);
		if (!err) {
			if (!tries[i].sockops)
				p_info("connect watch (ephemeral_steal) unavailable: this "
				       "kernel refuses the sock_ops program");
			return 0;
		}
		p_debug("cgroup programs (%s build%s) refused: %s",
			tries[i].set == SET_CGROUP_CAST ? "cast" : "probe-read",
			tries[i].sockops ? "" : ", no sock_ops", strerror(-err));
	}
	*why = "load cgroup programs";
	return err;
}

static int try_fentry(struct bw_loader *l, const struct bw_loader_opts *o,
		      const char **why)
{
	struct bpf_program *p;
	int err, i;

	err = load_fentry(l, o, why);
	if (err)
		goto cleanup;
	for (i = 0; (p = fentry_progs(l->skel, i)); i++) {
		err = add_link(l, p, bpf_program__attach(p));
		if (err) {
			*why = "attach fentry programs";
			goto cleanup;
		}
	}
	add_feature(l, "connect_watch");
	snprintf(l->backend, sizeof(l->backend), "fentry");
	return 0;
cleanup:
	detach_all(l);
	return err;
}

static int try_cgroup(struct bw_loader *l, const struct bw_loader_opts *o,
		      const char **why)
{
	char root[1024];
	struct bpf_program *p;
	int err, i, cast;

	if (o->cgroup_root)
		snprintf(root, sizeof(root), "%s", o->cgroup_root);
	else if ((err = find_cgroup2_root(root, sizeof(root)))) {
		*why = "find the cgroup-v2 mount in /proc/self/mountinfo";
		return err;
	}
	if (o->exact_errno && (err = ensure_tracefs())) {
		*why = "mount tracefs on /sys/kernel/tracing";
		return err;
	}
	err = load_cgroup(l, o, why);
	if (err)
		goto cleanup;
	l->cgroup_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->cgroup_fd < 0) {
		err = -errno;
		*why = "open the cgroup-v2 root";
		goto cleanup;
	}
	/* Links, not legacy attachments: they go away with the agent, even on
	 * SIGKILL, and coexist with what systemd or a runtime attached. */
	cast = bpf_program__autoload(l->skel->progs.cg_bind4);
	for (i = 0; (p = cgroup_progs(l->skel, i, cast)); i++) {
		if (!bpf_program__autoload(p))
			continue;
		err = add_link(l, p, bpf_program__attach_cgroup(p, l->cgroup_fd));
		if (err) {
			*why = "attach cgroup programs";
			goto cleanup;
		}
	}
	if (bpf_program__autoload(l->skel->progs.cg_sockops))
		add_feature(l, "connect_watch");
	p = cast ? l->skel->progs.tp_set_state : l->skel->progs.tpp_set_state;
	err = add_link(l, p, bpf_program__attach(p));
	if (err) {
		*why = "attach the inet_sock_set_state tracepoint";
		goto cleanup;
	}
	if (o->exact_errno) {
		err = add_link(l, l->skel->progs.tp_sys_exit_bind,
			       bpf_program__attach(l->skel->progs.tp_sys_exit_bind));
		if (err) {
			*why = "attach syscalls:sys_exit_bind";
			goto cleanup;
		}
		add_feature(l, "exact_errno");
	}
	snprintf(l->backend, sizeof(l->backend), "cgroup%s",
		 o->exact_errno ? "+exact" : "");
	p_debug("cgroup programs attached to %s", root);
	return 0;
cleanup:
	detach_all(l);
	return err;
}

int loader__open(const struct bw_loader_opts *o, struct bw_loader **out,
		 const char **why)
{
	struct bw_loader *l;
	int err = -EINVAL;

	*why = "allocate";
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cgroup_fd = -1;
	/* fentry reports the kernel's errno anyway; exact_errno only changes
	 * what the cgroup backend does. */
	if (!o->backend || !strcmp(o->backend, "fentry")) {
		err = try_fentry(l, o, why);
		if (!err)
			goto done;
		if (o->backend)
			goto cleanup;
		p_info("fentry backend unavailable (%s: %s); trying cgroup",
		       *why, strerror(-err));
	}
	if (!o->backend || !strcmp(o->backend, "cgroup")) {
		err = try_cgroup(l, o, why);
		if (!err)
			goto done;
	}
	goto cleanup;
done:
	*out = l;
	return 0;
cleanup:
	free(l);
	return err;
}

const char *loader__backend(const struct bw_loader *l)
{
	return l->backend;
}

const char *const *loader__hooks(const struct bw_loader *l)
{
	return l->hooks;	/* calloc'ed: the slot after the last is NULL */
}

int loader__ringbuf_fd(const struct bw_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader__watch_ports(const struct bw_loader *l, const __u8 *bitmap)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.watched_ports), &zero, bitmap, 0))
		return -errno;
	return 0;
}

int loader__counter(const struct bw_loader *l, __u32 key, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0, i;

	if (ncpu < 0)
		return ncpu;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.drops), &key, vals)) {
		err = -errno;
		goto cleanup;
	}
	*out = 0;
	for (i = 0; i < ncpu; i++)
		*out += vals[i];
cleanup:
	free(vals);
	return err;
}

void loader__free(struct bw_loader *l)
{
	if (!l)
		return;
	detach_all(l);
	free(l);
}
