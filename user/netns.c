#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "file.h"
#include "netns.h"
#include "parse.h"
#include "snapshot.h"

int parse_port_range(const char *s, __u16 *lo, __u16 *hi)
{
	unsigned int a, b;
	char extra;

	if (sscanf(s, "%u %u %c", &a, &b, &extra) != 2 || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (__u16)a;
	*hi = (__u16)b;
	return 0;
}

int parse_reserved_ports(const char *s, struct netns_ports *np)
{
	char buf[1024], *tok, *save = NULL;

	np->nreserved = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	buf[strcspn(buf, "\n")] = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned short lo, hi;

		if (dash)
			*dash = 0;
		if (parse_port(tok, 1, &lo) || parse_port(dash ? dash + 1 : tok, 1, &hi) || lo > hi)
			return -EINVAL;
		if (np->nreserved == BW_MAX_RESERVED)
			break;
		np->res_lo[np->nreserved] = lo;
		np->res_hi[np->nreserved++] = hi;
	}
	return 0;
}

int port_is_ephemeral(const struct netns_ports *np, __u16 port)
{
	if (port < np->lo || port > np->hi)
		return 0;
	for (int i = 0; i < np->nreserved; i++)
		if (port >= np->res_lo[i] && port <= np->res_hi[i])
			return 0;
	return 1;
}

int netns_ports_read(__u32 inode, __u32 pid, struct netns_ports *out)
{
	char path[64], range[128] = "", reserved[1024] = "";
	int self = -1, target = -1, err = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->netns = inode;
	out->lo = 32768;
	out->hi = 60999;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (netns_inode_of_fd(self) != inode) {
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (target < 0 || netns_inode_of_fd(target) != inode) {
			if (target >= 0)
				close(target);
			target = netns_open_by_inode(inode);
		}
		if (target < 0) {
			err = target;
			goto cleanup;
		}
		/* /proc/sys/net shows the reader's netns, so read from inside it */
		if (setns(target, CLONE_NEWNET)) {
			err = -errno;
			goto cleanup;
		}
	}
	n = file__read_small("/proc/sys/net/ipv4/ip_local_port_range", range, sizeof(range));
	err = n < 0 ? (int)n : 0;
	if (!err)
		file__read_small("/proc/sys/net/ipv4/ip_local_reserved_ports", reserved,
				 sizeof(reserved));
	if (target >= 0 && setns(self, CLONE_NEWNET) && !err)
		err = -errno;
	if (!err)
		err = parse_port_range(range, &out->lo, &out->hi);
	if (!err && reserved[0] && reserved[0] != '\n')
		err = parse_reserved_ports(reserved, out);
cleanup:
	if (target >= 0)
		close(target);
	close(self);
	return err;
}
