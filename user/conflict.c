#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "bindwatch.h"
#include "conflict.h"

int addr_is_any(__u16 family, const __u8 *addr)
{
	static const __u8 zero[16];

	return !memcmp(addr, zero, family == AF_INET6 ? 16 : 4);
}

static int v4_mapped(const __u8 a[16])
{
	static const __u8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, 12);
}

/* v4 socket against v6 socket (ipv6_rcv_saddr_equal's mixed-family cases). */
static int overlap_mixed(const struct sock_desc *v4, const struct sock_desc *v6)
{
	if (v6->opts & BW_OPT_V6ONLY)
		return 0;
	if (addr_is_any(AF_INET6, v6->addr))
		return 1;
	if (!v4_mapped(v6->addr))
		return 0;
	return addr_is_any(AF_INET, v4->addr) || !memcmp(v4->addr, v6->addr + 12, 4) ||
	       addr_is_any(AF_INET, v6->addr + 12);
}

int addr_overlaps(const struct sock_desc *a, const struct sock_desc *b)
{
	if (a->family == AF_INET && b->family == AF_INET6)
		return overlap_mixed(a, b);
	if (a->family == AF_INET6 && b->family == AF_INET)
		return overlap_mixed(b, a);
	if (a->family != b->family)
		return 0;
	if (addr_is_any(a->family, a->addr) || addr_is_any(b->family, b->addr))
		return 1;
	return !memcmp(a->addr, b->addr, a->family == AF_INET6 ? 16 : 4);
}

int sock_conflicts(const struct sock_desc *n, const struct sock_desc *h)
{
	int reuseaddr = (n->opts & h->opts & BW_OPT_REUSEADDR) != 0;
	int reuseport = (n->opts & h->opts & BW_OPT_REUSEPORT) && n->uid == h->uid;

	if (n->netns != h->netns || n->proto != h->proto || n->port != h->port)
		return 0;
	if (n->bound_dev_if && h->bound_dev_if && n->bound_dev_if != h->bound_dev_if)
		return 0;
	if (!addr_overlaps(n, h))
		return 0;
	if (reuseport)
		return 0;
	/* SO_REUSEADDR on both sides shares a port with any socket that is not
	 * listening (TCP) — at bind() and at listen() alike — and always (UDP) */
	if (n->proto == IPPROTO_TCP)
		return !(reuseaddr && !h->listening);
	return !reuseaddr;
}
