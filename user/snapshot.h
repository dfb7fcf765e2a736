/* Every inet socket that holds a port, in every network namespace, asked of
 * the kernel through netlink sock_diag; owners found through /proc/PID/fd. */
#ifndef BW_SNAPSHOT_H
#define BW_SNAPSHOT_H

#include <stddef.h>
#include <linux/types.h>
#include "record.h"

struct snap_sock {
	struct bw_holder h;	/* address, port, owner, state */
	__u64 cookie;		/* == bpf_get_socket_cookie() of the socket */
};

struct snapshot {
	struct snap_sock *socks;
	size_t n, cap;
	__u32 self_netns;	/* the agent's own netns ("host") */
	int diag_missing;	/* the kernel answered ENOENT: no inet_diag/tcp_diag/udp_diag */
};

/*
 * Fill s with the TCP listeners and bound UDP sockets of one netns (netns_fd
 * >= 0, an open /proc/PID/ns/net or /run/netns/NAME) or of every netns on
 * the host (netns_fd < 0).  port != 0 keeps only that port.  owners != 0
 * resolves socket inodes to processes.  Returns 0 or -errno.
 */
int snapshot__take(struct snapshot *s, int netns_fd, __u16 port, int owners);
void snapshot__free(struct snapshot *s);	/* accepts an empty one */

/* Inode of the netns behind an fd, or 0. */
__u32 netns_inode_of_fd(int fd);

/*
 * Open the netns with this inode (searching /run/netns, then /proc/PID/ns/net),
 * or -ENOENT.  Caller closes.
 */
int netns_open_by_inode(__u32 inode);

/* Name of a netns: "host" for the agent's own, the /run/netns name, or "". */
void netns_name(__u32 inode, __u32 self, char *buf, size_t len);

#endif
