#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "infer.h"

int infer_bind_errno(const struct bw_event *e, int has_bind_cap,
		     unsigned int unpriv_start, int local)
{
	if (e->req_port && e->req_port < unpriv_start && !has_bind_cap)
		return EACCES;
	if (local == 0 && !(e->opts & (BW_OPT_FREEBIND | BW_OPT_TRANSPARENT)))
		return EADDRNOTAVAIL;
	return EADDRINUSE;
}

int addr_is_local(__u16 family, const __u8 addr[16])
{
	static const __u8 zero[16];
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (family == AF_INET) {
		if (!memcmp(addr, zero, 4) || addr[0] == 127)
			return 1;
		/* multicast and broadcast binds are allowed too */
		if ((addr[0] & 0xf0) == 0xe0 || !memcmp(addr, "\xff\xff\xff\xff", 4))
			return 1;
	} else {
		if (!memcmp(addr, zero, 16) || addr[0] == 0xff)
			return 1;
		if (!memcmp(addr, zero, 15) && addr[15] == 1)
			return 1;
	}
	if (getifaddrs(&ifa))
		return -1;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			found = !memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
					addr, 4);
		else
			found = !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
					addr, 16);
	}
	freeifaddrs(ifa);
	return found;
}
