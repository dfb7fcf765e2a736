#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "record.h"

const char *const bw_opt_names[6] = {
	"reuseaddr", "reuseport", "freebind", "transparent", "v6only", "bindtodevice",
};

const char *kind_name(__u8 kind)
{
	switch (kind) {
	case BW_EV_BIND:
	case BW_EV_BIND_ATTEMPT:
		return "bind";
	case BW_EV_LISTEN:
		return "listen";
	case BW_EV_CLOSE:
		return "close";
	case BW_EV_CONNECT:
		return "connect";
	default:
		return "unknown";
	}
}

const char *proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_RAW:
		return "raw";
	default:
		return "other";
	}
}

const char *family_name(__u16 family)
{
	return family == AF_INET6 ? "ipv6" : family == AF_INET ? "ipv4" : "other";
}

const char *errno_name(int err, char *buf, unsigned long len)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EADDRINUSE, "EADDRINUSE" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
		{ EACCES, "EACCES" }, { EPERM, "EPERM" }, { EINVAL, "EINVAL" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" }, { ENOMEM, "ENOMEM" },
		{ ENOBUFS, "ENOBUFS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EBADF, "EBADF" }, { ENOTSOCK, "ENOTSOCK" }, { EFAULT, "EFAULT" },
		{ EISCONN, "EISCONN" }, { ENODEV, "ENODEV" },
	};
	unsigned long i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, len, "E%d", err);
	return buf;
}

/* IPv4 by hand: glibc's inet_ntop() formats it with sprintf, which showed
 * in the agent's profile in a bind storm (an address per event). */
static int addr4_str(const __u8 a[4], char *buf, unsigned long len)
{
	char tmp[16], *p = tmp;

	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : 0;
	}
	if ((unsigned long)(p - tmp) > len)
		return -1;
	memcpy(buf, tmp, (size_t)(p - tmp));
	return 0;
}

void addr_str(__u16 family, const __u8 addr[16], char *buf, unsigned long len)
{
	if (family != AF_INET6 ? addr4_str(addr, buf, len) :
	    !inet_ntop(AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void format_who(const char *comm, __u32 pid, char *buf, unsigned long len)
{
	char safe[BW_COMM_LEN];
	size_t i;

	for (i = 0; i < BW_COMM_LEN - 1 && comm[i]; i++)
		safe[i] = ((unsigned char)comm[i] < 0x20 || comm[i] == 0x7f) ? '?' : comm[i];
	safe[i] = 0;
	if (pid)
		snprintf(buf, len, "%s[%u]", safe[0] ? safe : "?", pid);
	else
		snprintf(buf, len, "an unknown process");
}
