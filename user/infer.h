/* The errno of a failed bind that the kernel side saw fail without being told
 * why (cgroup backend): deduced from the kernel's order of checks. */
#ifndef BW_INFER_H
#define BW_INFER_H

#include "bindwatch.h"

/*
 * inet_bind checks, in order: the port against ip_unprivileged_port_start
 * (EACCES without CAP_NET_BIND_SERVICE), the address against the netns's
 * addresses (EADDRNOTAVAIL unless freebind/transparent/ip_nonlocal_bind),
 * then get_port (EADDRINUSE).  unpriv_start is that netns's sysctl; local is
 * 1 when the address is known local, 0 known foreign, -1 unknown.
 */
int infer_bind_errno(const struct bw_event *e, int has_bind_cap,
		     unsigned int unpriv_start, int local);

/* Is addr assigned in the agent's own netns (or a wildcard/loopback)?
 * 1, 0, or -1 when it cannot be told. */
int addr_is_local(__u16 family, const __u8 addr[16]);

#endif
