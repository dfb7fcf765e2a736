/* Load the BPF side: open -> configure -> load -> attach, choosing hooks by
 * trying them. */
#ifndef BW_LOADER_H
#define BW_LOADER_H

#include <stddef.h>
#include <linux/types.h>
#include "bw_consts.h"

struct bw_loader;

struct bw_loader_opts {
	const char *backend;	/* "fentry", "cgroup", or NULL: try in that order */
	int exact_errno;	/* cgroup: add sys_exit_bind for the kernel's errno */
	__u32 pid;		/* 0: all */
	__u64 cgroup_id;	/* a cgroup-v2 subtree, 0: all */
	__u32 cgroup_level;	/* its depth below the root */
	const __u8 *ports;	/* BW_PORT_BITMAP_BYTES bitmap, or NULL: all ports */
	int failed_only;
	size_t ringbuf_bytes;	/* power of two >= page size */
	size_t wakeup_bytes;	/* 0: wake the agent for every event */
	const char *cgroup_root; /* NULL: found in /proc/self/mountinfo */
	int probe_reads;	/* cgroup: load the probe-read build even where
				 * the cast build would load (tests run both) */
};

/*
 * Load and attach.  On success *out owns the skeleton and every link; on
 * failure returns -errno and *why (static string) says which step failed.
 */
int loader__open(const struct bw_loader_opts *opts, struct bw_loader **out,
		 const char **why);
/* "fentry" or "cgroup" (with "+exact" in exact-errno mode). */
const char *loader__backend(const struct bw_loader *l);
int loader__ringbuf_fd(const struct bw_loader *l);
/* What is attached: program names and features ("connect_watch",
 * "exact_errno"), NULL-terminated, owned by l. */
const char *const *loader__hooks(const struct bw_loader *l);
/* Sum of one per-CPU counter (BW_CNT_* in bw_consts.h) over all CPUs; 0 or -errno. */
int loader__counter(const struct bw_loader *l, __u32 key, __u64 *out);
/* Ports (a BW_PORT_BITMAP_BYTES bitmap) whose use by an outbound connection is reported. */
int loader__watch_ports(const struct bw_loader *l, const __u8 *bitmap);
/* Detaches everything; accepts NULL. */
void loader__free(struct bw_loader *l);

#endif
