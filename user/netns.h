/* Per-network-namespace facts the agent needs, read inside that netns. */
#ifndef BW_NETNS_H
#define BW_NETNS_H

#include <linux/types.h>

#define BW_MAX_RESERVED 32

struct netns_ports {
	__u32 netns;
	__u16 lo, hi;			/* net.ipv4.ip_local_port_range */
	int nreserved;			/* net.ipv4.ip_local_reserved_ports */
	__u16 res_lo[BW_MAX_RESERVED], res_hi[BW_MAX_RESERVED];
};

/* Parse "32768\t60999" and "8080,10000-10010" (the sysctls' text); 0 or -EINVAL. */
int parse_port_range(const char *s, __u16 *lo, __u16 *hi);
int parse_reserved_ports(const char *s, struct netns_ports *np);

/* Is port in the ephemeral range and not reserved? */
int port_is_ephemeral(const struct netns_ports *np, __u16 port);

/*
 * The sysctls of netns `inode`, entered through /proc/PID/ns/net of pid (or
 * any process in it).  Returns 0 or -errno; defaults (32768-60999) on error.
 */
int netns_ports_read(__u32 inode, __u32 pid, struct netns_ports *out);

#endif
