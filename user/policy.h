/*
 * The guard's policy file: which ports are kept for whom.
 *
 *   # comment
 *   PORT[-PORT]/PROTO ALLOWED[,ALLOWED...]
 *
 * PROTO is tcp or udp.  ALLOWED (commas and/or blanks between them):
 *   uid:N            a real uid (strong: set by the kernel)
 *   user:NAME        the same, by name (resolved once, when the file is read)
 *   cgroup:/PATH     a cgroup-v2 subtree, relative to the v2 root (strong)
 *   unit:NAME        a systemd unit: cgroup:/system.slice/NAME
 *   comm:NAME        the task's comm, up to 15 bytes (advisory: a process
 *                    names itself)
 * Anyone else binding a port of the rule is refused.  A port may be in one
 * rule only.  The whole file or nothing: the first error stops the parse.
 */
#ifndef BW_POLICY_H
#define BW_POLICY_H

#include <stddef.h>
#include <linux/types.h>
#include "bw_guard.h"

#define POLICY_PATH_LEN	256
#define POLICY_LINE_MAX	1024	/* longest line */
/* the allow list is the line's items joined by single commas: never longer
 * than the line, so it is never cut */
#define POLICY_ALLOW_LEN (POLICY_LINE_MAX + 1)

struct policy_rule {
	unsigned int line;
	__u16 port_lo, port_hi;	/* host order, lo <= hi */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	int n_uid, n_cgroup, n_comm;
	__u32 uid[BW_GUARD_MAX_UIDS];
	/* cgroup paths relative to the v2 root, "/" first; id 0: not there now */
	char cgroup[BW_GUARD_MAX_CGROUPS][POLICY_PATH_LEN];
	__u64 cgroup_id[BW_GUARD_MAX_CGROUPS];
	__u32 cgroup_level[BW_GUARD_MAX_CGROUPS];
	char comm[BW_GUARD_MAX_COMMS][BW_GUARD_COMM_LEN];
	char allow[POLICY_ALLOW_LEN];	/* who the port is kept for, as a list
					 * ("cgroup:/a,uid:0"), for reports */
};

struct policy {
	char file[POLICY_PATH_LEN];	/* as given, for FILE:LINE */
	size_t n;
	struct policy_rule rules[BW_GUARD_MAX_RULES];
};

/*
 * Parse text (len bytes, need not be NUL-terminated) named file.  On
 * success *out is a new policy the caller frees (cgroups not yet resolved:
 * see policy__resolve).  On a bad file returns -EINVAL and err says
 * "FILE:LINE: what is wrong"; -ENOMEM if out of memory.
 */
int policy__parse(const char *file, const char *text, size_t len, struct policy **out,
		  char *err, size_t errlen);

/* Read (at most 1 MiB) and parse a file; errors as policy__parse, plus
 * "FILE: <strerror>" when it cannot be read. */
int policy__load(const char *path, struct policy **out, char *err, size_t errlen);

/*
 * Look up every cgroup path under cgroup_root (the v2 mount): its id (inode)
 * and depth.  A cgroup that does not exist gets id 0, which allows nobody,
 * until a later call finds it; a cgroup removed and made again (a unit
 * restarted) gets its new id.  Returns how many ids changed.  missing, if
 * not NULL, is called for each path not there now.
 */
int policy__resolve(struct policy *p, const char *cgroup_root,
		    void (*missing)(const struct policy *p, const struct policy_rule *r,
				    const char *path, void *ctx),
		    void *ctx);

/* The rule guarding (proto, port), or NULL. */
const struct policy_rule *policy__find(const struct policy *p, __u8 proto, __u16 port);

void policy__free(struct policy *p);	/* accepts NULL */

#endif
