/*
 * The port table's limits are said, not hidden: a socket the table could not
 * take is counted (collide__table_full) and a collision names the count; a
 * holder the table remembers is reported with the binder's name until the
 * kernel says otherwise.  No root needed: the kernel check then finds
 * nothing and the table's answer stands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "collide.h"
#include "proc.h"
#include "tap.h"

static struct bw_record *rec(__u8 kind, __u16 port, __u64 cookie, int err, const char *comm)
{
	static struct bw_record r;

	memset(&r, 0, sizeof(r));
	r.ev.kind = kind;
	r.ev.proto = IPPROTO_TCP;
	r.ev.family = AF_INET;
	r.ev.port = port;
	r.ev.req_port = port;
	r.ev.cookie = cookie;
	r.ev.pid = 999999;	/* no such process: nothing to ask /proc */
	r.ev.netns = 1;
	r.ev.ts_ns = cookie;
	r.err = err;
	snprintf(r.ev.comm, sizeof(r.ev.comm), "%s", comm);
	return &r;
}

/*
 * After lost events the table may keep a socket whose close was never seen:
 * once marked stale, holders are checked with the kernel (sock_diag in our
 * own netns: root only) and a ghost is dropped, not named.
 */
static void stale_case(struct proc_cache *procs)
{
	struct collide *c = collide__new(16, procs);
	struct bw_record *r;
	struct stat st;
	__u16 port = (__u16)(42000 + getpid() % 2000);

	if (geteuid() || stat("/proc/self/ns/net", &st) || !c) {
		printf("# stale case skipped: needs root (sock_diag in the test's netns)\n");
		collide__free(c);
		return;
	}
	r = rec(BW_EV_BIND, port, 10, 0, "ghost");
	r->ev.pid = (__u32)getpid();
	r->ev.netns = (__u32)st.st_ino;
	collide__apply(c, r, 10);
	collide__mark_stale(c);
	r = rec(BW_EV_BIND, port, 11, EADDRINUSE, "late");
	r->ev.pid = (__u32)getpid();
	r->ev.netns = (__u32)st.st_ino;
	collide__apply(c, r, 11);
	CHECK(r->nholders == 0, "a socket the kernel does not have was named: %s",
	      r->nholders ? r->holders[0].comm : "");
	CHECK(collide__tracked(c) == 0, "the ghost stays in the table");
	collide__free(c);
}

int main(void)
{
	struct proc_cache *procs = proc_cache__new();
	struct collide *c = collide__new(1, procs);
	struct bw_record *r;

	CHECK(c != NULL, "collide__new");
	if (!c)
		return tap_done("test_collide");
	collide__apply(c, rec(BW_EV_BIND, 40001, 1, 0, "first"), 1);
	CHECK(collide__table_full(c) == 0, "one socket fits a table of one");
	collide__apply(c, rec(BW_EV_BIND, 40002, 2, 0, "second"), 2);
	CHECK(collide__table_full(c) == 1, "the refused socket is counted: %zu",
	      collide__table_full(c));
	/* a failure on the port the table could not keep: no holder, and it says why */
	r = rec(BW_EV_BIND, 40002, 3, EADDRINUSE, "late");
	collide__apply(c, r, 3);
	CHECK(r->nflags == 1 && strstr(r->flags[0].message, "1 sockets were not tracked (port table full)"),
	      "the collision does not say the table was full: %s", r->nflags ? r->flags[0].message : "");
	/* a failure on the tracked port names the table's holder */
	r = rec(BW_EV_BIND, 40001, 4, EADDRINUSE, "late");
	collide__apply(c, r, 4);
	CHECK(r->nholders == 1 && !strcmp(r->holders[0].comm, "first"), "holder from the table");
	CHECK(r->nholders == 1 && r->holders[0].exited == 1,
	      "a holder whose process is gone is not said to have exited");
	collide__free(c);
	stale_case(procs);
	proc_cache__free(procs);
	return tap_done("test_collide");
}
