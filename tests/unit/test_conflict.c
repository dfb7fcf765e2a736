/* The kernel's port-sharing rules, table-driven.  Each row is a pair the
 * kernel tests in tests/kernel/ exercise for real, or a rule of
 * inet_bind_conflict()/udp_lib_lport_inuse() stated as data. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "bindwatch.h"
#include "conflict.h"
#include "tap.h"

#define NS 4026531840u
#define RA BW_OPT_REUSEADDR
#define RP BW_OPT_REUSEPORT
#define V6 BW_OPT_V6ONLY

struct side {
	const char *addr;
	__u8 proto, opts, listening;
	__u32 uid, netns, dev;
};

static struct sock_desc desc(const struct side *s)
{
	struct sock_desc d;

	memset(&d, 0, sizeof(d));
	d.family = strchr(s->addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(d.family, s->addr, d.addr);
	d.proto = s->proto;
	d.opts = s->opts;
	d.listening = s->listening;
	d.uid = s->uid;
	d.netns = s->netns ? s->netns : NS;
	d.bound_dev_if = s->dev;
	d.port = 10397;
	return d;
}

int main(void)
{
	static const struct {
		const char *what;
		struct side newcomer, holder;
		int conflict;
	} cases[] = {
		{ "specific under a listening wildcard",
		  { "127.0.0.1", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "0.0.0.0", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 1 },
		{ "two different specific addresses",
		  { "127.0.0.1", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "127.0.0.2", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 0 },
		{ "another netns",
		  { "0.0.0.0", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "0.0.0.0", IPPROTO_TCP, 0, 1, 0, 1234, 0 }, 0 },
		{ "another protocol",
		  { "0.0.0.0", IPPROTO_UDP, 0, 0, 0, 0, 0 }, { "0.0.0.0", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 0 },
		{ "IPv4 under a dual-stack IPv6 wildcard",
		  { "0.0.0.0", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "::", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 1 },
		{ "IPv4 beside a v6only IPv6 wildcard",
		  { "0.0.0.0", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "::", IPPROTO_TCP, V6, 1, 0, 0, 0 }, 0 },
		{ "v4-mapped IPv6 against the same IPv4",
		  { "::ffff:127.0.0.1", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 1 },
		{ "specific IPv6 against IPv4",
		  { "::1", IPPROTO_TCP, 0, 0, 0, 0, 0 }, { "0.0.0.0", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 0 },
		{ "SO_REUSEADDR both, holder only bound",
		  { "127.0.0.1", IPPROTO_TCP, RA, 0, 0, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, RA, 0, 0, 0, 0 }, 0 },
		{ "SO_REUSEADDR both, holder listening",
		  { "127.0.0.1", IPPROTO_TCP, RA, 0, 0, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, RA, 1, 0, 0, 0 }, 1 },
		{ "listen() time: both SO_REUSEADDR, the other listening",
		  { "127.0.0.1", IPPROTO_TCP, RA, 1, 0, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, RA, 1, 0, 0, 0 }, 1 },
		{ "listen() time: both SO_REUSEADDR, the other only bound",
		  { "127.0.0.1", IPPROTO_TCP, RA, 1, 0, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, RA, 0, 0, 0, 0 }, 0 },
		{ "SO_REUSEADDR on one side only",
		  { "127.0.0.1", IPPROTO_TCP, RA, 0, 0, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, 0, 0, 0, 0, 0 }, 1 },
		{ "SO_REUSEPORT both, same uid",
		  { "127.0.0.1", IPPROTO_TCP, RP, 0, 1000, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, RP, 1, 1000, 0, 0 }, 0 },
		{ "SO_REUSEPORT both, different uids",
		  { "127.0.0.1", IPPROTO_TCP, RP, 0, 1000, 0, 0 }, { "127.0.0.1", IPPROTO_TCP, RP, 1, 1001, 0, 0 }, 1 },
		{ "UDP, SO_REUSEADDR both",
		  { "0.0.0.0", IPPROTO_UDP, RA, 0, 0, 0, 0 }, { "0.0.0.0", IPPROTO_UDP, RA, 0, 0, 0, 0 }, 0 },
		{ "UDP, SO_REUSEADDR one side",
		  { "0.0.0.0", IPPROTO_UDP, RA, 0, 0, 0, 0 }, { "0.0.0.0", IPPROTO_UDP, 0, 0, 0, 0, 0 }, 1 },
		{ "bound to different devices",
		  { "0.0.0.0", IPPROTO_TCP, 0, 0, 0, 0, 2 }, { "0.0.0.0", IPPROTO_TCP, 0, 1, 0, 0, 3 }, 0 },
		{ "one bound to a device, the other not",
		  { "0.0.0.0", IPPROTO_TCP, 0, 0, 0, 0, 2 }, { "0.0.0.0", IPPROTO_TCP, 0, 1, 0, 0, 0 }, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sock_desc n = desc(&cases[i].newcomer), h = desc(&cases[i].holder);
		int got = sock_conflicts(&n, &h);

		CHECK(got == cases[i].conflict, "%s: got %d, want %d", cases[i].what, got,
		      cases[i].conflict);
	}
	return tap_done("test_conflict");
}
