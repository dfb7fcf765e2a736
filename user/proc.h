/* What /proc says about a process, cached: the per-event path must not pay a
 * readlink for every event of a busy process. */
#ifndef BW_PROC_H
#define BW_PROC_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct proc_cache;

struct proc_cache *proc_cache__new(void);
void proc_cache__free(struct proc_cache *c);	/* accepts NULL */

/*
 * Full path of pid's executable into buf.  now_ns (any monotonic clock)
 * bounds how stale a cached answer may be.  Returns 0, or -errno when the
 * process is gone or unreadable, -ENAMETOOLONG when the path does not fit
 * in len (buf is then "": a path is never cut).
 */
int proc_cache__exe(struct proc_cache *c, __u32 pid, __u64 now_ns, char *buf,
		    size_t len);

/*
 * /proc/PID/cmdline into buf (words NUL-separated, NUL-terminated, at most
 * len - 1 bytes: callers look at the first words).  Its length, or -errno
 * (-ENODATA when empty: a kernel thread or a zombie).
 */
ssize_t proc_read_cmdline(__u32 pid, char *buf, size_t len);

/* Does pid hold CAP_NET_BIND_SERVICE in its effective set? 1, 0 or -errno. */
int proc_has_net_bind_service(__u32 pid);

#endif
