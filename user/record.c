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

void addr_str(__u16 family, const __u8 addr[16], char *buf, unsigned long len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf,
		       (socklen_t)len))
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
