/* The pairing stage, table-driven: events and clock ticks in, decided events out. */
#include <errno.h>
#include "tap.h"
#include "infer.h"
#include "pair.h"

#define MS 1000000ull
enum { EV = 1, EXPIRE, DROPS, DRAIN, REFUSED };

struct step {
	int op;
	__u8 kind;
	__u64 cookie;
	__u16 port;
	__s32 ret;
	__u8 flags;
	__u64 ts_ms;		/* event time, or the clock for EXPIRE / DROPS */
	__u32 uid;		/* 0: may bind below 1024 */
	__u8 foreign;		/* the address is not local */
};

struct want {
	__u8 kind;
	__u64 cookie;
	int err, inferred, undecided, guard;
};

struct pcase {
	const char *name;
	unsigned int max_pending;
	int listen_err_inferred;
	struct step steps[12];
	struct want want[12];
};

#define ATT(c, port, ts)	{ EV, BW_EV_BIND_ATTEMPT, c, port, 0, 0, ts, 0, 0 }
#define OK(c, port, ts)		{ EV, BW_EV_BIND, c, port, 0, 0, ts, 0, 0 }
#define TLISTEN(c, port, ts)	{ EV, BW_EV_LISTEN, c, port, 0, BW_F_TENTATIVE, ts, 0, 0 }
#define LFAIL(c, port, ts)	{ EV, BW_EV_LISTEN, c, port, -EADDRINUSE, 0, ts, 0, 0 }
#define AT(ts)			{ EXPIRE, 0, 0, 0, 0, 0, ts, 0, 0 }
/* the port guard refused socket c's bind to port (0: in post_bind) */
#define REFUSE(c, port)		{ REFUSED, 0, c, port, 0, 0, 0, 0, 0 }
#define FAIL(c, port, ret, ts)	{ EV, BW_EV_BIND, c, port, ret, 0, ts, 0, 0 }

static const struct pcase cases[] = {
	{ "attempt then success", 16, 1,
	  { ATT(1, 8080, 0), OK(1, 8080, 1), AT(100) },
	  { { BW_EV_BIND, 1, 0, 0, 0, 0 } } },
	{ "attempt times out: EADDRINUSE", 16, 1,
	  { ATT(2, 8080, 0), AT(10), AT(51) },
	  { { BW_EV_BIND, 2, EADDRINUSE, 1, 0, 0 } } },
	{ "attempt times out: EACCES below 1024 without the capability", 16, 1,
	  { { EV, BW_EV_BIND_ATTEMPT, 3, 80, 0, 0, 0, 1000, 0 }, AT(60) },
	  { { BW_EV_BIND, 3, EACCES, 1, 0, 0 } } },
	{ "attempt times out: EADDRNOTAVAIL on a foreign address", 16, 1,
	  { { EV, BW_EV_BIND_ATTEMPT, 4, 8080, 0, 0, 0, 1000, 1 }, AT(60) },
	  { { BW_EV_BIND, 4, EADDRNOTAVAIL, 1, 0, 0 } } },
	{ "tentative listen confirmed by the grace time", 16, 1,
	  { TLISTEN(5, 8080, 0), AT(49), AT(50) },
	  { { BW_EV_LISTEN, 5, 0, 0, 0, 0 } } },
	{ "tentative listen failed", 16, 1,
	  { TLISTEN(6, 8080, 0), LFAIL(6, 8080, 1), AT(100) },
	  { { BW_EV_LISTEN, 6, EADDRINUSE, 1, 0, 0 } } },
	{ "listen failure from the kernel's return value (fentry)", 16, 0,
	  { LFAIL(7, 8080, 1) },
	  { { BW_EV_LISTEN, 7, EADDRINUSE, 0, 0, 0 } } },
	/* issue 10 item 7: a listens, b's listen fails while a is still tentative */
	{ "a failure whose holder is a still-tentative listen", 16, 1,
	  { TLISTEN(8, 9000, 0), TLISTEN(9, 9000, 1), LFAIL(9, 9000, 2), AT(100) },
	  { { BW_EV_LISTEN, 8, 0, 0, 0, 0 }, { BW_EV_LISTEN, 9, EADDRINUSE, 1, 0, 0 } } },
	{ "a tentative listen on another port is not the holder", 16, 1,
	  { TLISTEN(8, 9001, 0), TLISTEN(9, 9000, 1), LFAIL(9, 9000, 2), AT(100) },
	  { { BW_EV_LISTEN, 9, EADDRINUSE, 1, 0, 0 }, { BW_EV_LISTEN, 8, 0, 0, 0, 0 } } },
	{ "a full queue decides its oldest at once", 2, 1,
	  { ATT(10, 1111, 0), ATT(11, 1112, 1), ATT(12, 1113, 2), OK(11, 1112, 3),
	    OK(12, 1113, 4) },
	  { { BW_EV_BIND, 10, EADDRINUSE, 1, 0, 0 }, { BW_EV_BIND, 11, 0, 0, 0, 0 },
	    { BW_EV_BIND, 12, 0, 0, 0, 0 } } },
	/* issue 12 item 10: the success may be among the dropped events */
	{ "an attempt pending across a drop window is undecided", 16, 1,
	  { ATT(13, 8080, 0), { DROPS, 0, 0, 0, 0, 0, 5, 0, 0 }, AT(60) },
	  { { BW_EV_BIND, 13, 0, 0, 1, 0 } } },
	{ "an attempt read after the drop but made before it is undecided", 16, 1,
	  { { DROPS, 0, 0, 0, 0, 0, 5, 0, 0 }, ATT(14, 8080, 4), ATT(15, 8081, 6), AT(60) },
	  { { BW_EV_BIND, 14, 0, 0, 1, 0 }, { BW_EV_BIND, 15, EADDRINUSE, 1, 0, 0 } } },
	{ "a tentative listen pending across a drop window is undecided", 16, 1,
	  { TLISTEN(20, 8080, 0), { DROPS, 0, 0, 0, 0, 0, 5, 0, 0 }, AT(60) },
	  { { BW_EV_LISTEN, 20, 0, 0, 1, 0 } } },
	{ "a rival's failure decides a listen even across drops", 16, 1,
	  { TLISTEN(21, 9000, 0), { DROPS, 0, 0, 0, 0, 0, 1, 0, 0 }, LFAIL(22, 9000, 2),
	    AT(100) },
	  { { BW_EV_LISTEN, 21, 0, 0, 0, 0 }, { BW_EV_LISTEN, 22, EADDRINUSE, 1, 0, 0 } } },
	{ "a listen of the attempted port proves the lost success", 16, 1,
	  { ATT(16, 8080, 0), { EV, BW_EV_LISTEN, 16, 8080, 0, 0, 3, 0, 0 }, AT(100) },
	  { { BW_EV_BIND, 16, 0, 0, 0, 0 }, { BW_EV_LISTEN, 16, 0, 0, 0, 0 } } },
	{ "another event of the socket settles its attempt first", 16, 1,
	  { ATT(17, 8080, 0), { EV, BW_EV_CLOSE, 17, 0, 0, 0, 3, 0, 0 } },
	  { { BW_EV_BIND, 17, EADDRINUSE, 1, 0, 0 }, { BW_EV_CLOSE, 17, 0, 0, 0, 0 } } },
	/* issue 15: a refused bind is never also reported as a collision */
	{ "guard refusal after the attempt: EPERM from the guard at once", 16, 1,
	  { ATT(30, 10256, 0), REFUSE(30, 10256), AT(100) },
	  { { BW_EV_BIND, 30, EPERM, 0, 0, 1 } } },
	{ "guard refusal read before its attempt: EPERM at the grace time", 16, 1,
	  { REFUSE(31, 10256), ATT(31, 10256, 1), AT(10), AT(60) },
	  { { BW_EV_BIND, 31, EPERM, 0, 0, 1 } } },
	{ "a refusal of another socket leaves an attempt to be inferred", 16, 1,
	  { REFUSE(32, 10256), ATT(33, 10256, 0), AT(60) },
	  { { BW_EV_BIND, 33, EADDRINUSE, 1, 0, 0 } } },
	{ "a refusal is used once: the socket's next failed bind is inferred", 16, 1,
	  { ATT(34, 10256, 0), REFUSE(34, 10256), ATT(34, 10256, 5), AT(60) },
	  { { BW_EV_BIND, 34, EPERM, 0, 0, 1 }, { BW_EV_BIND, 34, EADDRINUSE, 1, 0, 0 } } },
	{ "a refusal of another port of the socket does not decide it", 16, 1,
	  { REFUSE(35, 10257), ATT(35, 10256, 0), OK(35, 10256, 1), AT(60) },
	  { { BW_EV_BIND, 35, 0, 0, 0, 0 } } },
	{ "a refused attempt pending across drops is decided, not undecided", 16, 1,
	  { ATT(36, 10256, 0), { DROPS, 0, 0, 0, 0, 0, 5, 0, 0 }, REFUSE(36, 10256), AT(60) },
	  { { BW_EV_BIND, 36, EPERM, 0, 0, 1 } } },
	{ "fentry: the kernel's EPERM of a refused bind is the guard's", 16, 0,
	  { REFUSE(37, 10256), FAIL(37, 10256, -EPERM, 1) },
	  { { BW_EV_BIND, 37, EPERM, 0, 0, 1 } } },
	{ "cgroup failure event of a refused bind: EPERM, not inferred", 16, 1,
	  { REFUSE(38, 10256), FAIL(38, 10256, 1, 1) },
	  { { BW_EV_BIND, 38, EPERM, 0, 0, 1 } } },
	{ "a post_bind refusal after the reported success decides nothing more", 16, 1,
	  { ATT(39, 0, 0), OK(39, 0, 1), REFUSE(39, 0), AT(60) },
	  { { BW_EV_BIND, 39, 0, 0, 0, 0 } } },
	{ "drain decides everything at exit", 16, 1,
	  { ATT(18, 8080, 0), TLISTEN(19, 8081, 1), { DRAIN, 0, 0, 0, 0, 0, 0, 0, 0 } },
	  { { BW_EV_BIND, 18, EADDRINUSE, 1, 0, 0 }, { BW_EV_LISTEN, 19, 0, 0, 0, 0 } } },
};

struct got {
	struct pair_decided d[16];
	int n;
};

static int t_infer(void *ctx, const struct bw_event *e)
{
	(void)ctx;
	/* the real rules; the test event says what the system would answer */
	return infer_bind_errno(e, e->uid == 0, 1024, e->addr[0] == 10 ? 0 : 1);
}

static void t_decided(void *ctx, const struct pair_decided *d)
{
	struct got *g = ctx;

	if (g->n < 16)
		g->d[g->n] = *d;
	g->n++;
}

static void run(const struct pcase *c)
{
	struct got g = { .n = 0 };
	struct pair_ops ops = { t_infer, t_decided, &g };
	struct pair_opts po = { 50 * MS, c->max_pending, c->listen_err_inferred };
	struct pair *p = NULL;
	int nwant = 0;

	if (pair__new(&po, &ops, &p)) {
		CHECK(0, "%s: pair__new", c->name);
		return;
	}
	for (const struct step *s = c->steps; s->op; s++) {
		struct bw_event e;

		memset(&e, 0, sizeof(e));
		switch (s->op) {
		case EV:
			e.kind = s->kind;
			e.cookie = s->cookie;
			e.port = e.req_port = s->port;
			e.ret = s->ret;
			e.flags = s->flags;
			e.ts_ns = s->ts_ms * MS;
			e.uid = s->uid;
			e.family = 2;
			e.proto = 6;
			e.addr[0] = s->foreign ? 10 : 0;
			pair__event(p, &e);
			break;
		case EXPIRE:
			pair__expire(p, s->ts_ms * MS);
			break;
		case DROPS:
			pair__drops(p, s->ts_ms * MS);
			break;
		case DRAIN:
			pair__drain(p);
			break;
		case REFUSED:
			pair__refused(p, s->cookie, s->port);
			break;
		}
	}
	while (nwant < 12 && c->want[nwant].kind)
		nwant++;
	CHECK(g.n == nwant, "%s: %d decided, want %d", c->name, g.n, nwant);
	for (int i = 0; i < nwant && i < g.n; i++) {
		const struct want *w = &c->want[i];
		const struct pair_decided *d = &g.d[i];

		CHECK(d->ev.kind == w->kind && d->ev.cookie == w->cookie && d->err == w->err &&
			      d->inferred == w->inferred && d->undecided == w->undecided &&
			      d->guard == w->guard,
		      "%s: #%d got kind %u sock %llu err %d inferred %d undecided %d guard %d, "
		      "want kind %u sock %llu err %d inferred %d undecided %d guard %d",
		      c->name, i, d->ev.kind, (unsigned long long)d->ev.cookie, d->err,
		      d->inferred, d->undecided, d->guard, w->kind,
		      (unsigned long long)w->cookie, w->err, w->inferred, w->undecided, w->guard);
	}
	CHECK(pair__pending(p) == 0, "%s: %u still pending", c->name,
	      pair__pending(p));
	pair__free(p);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	return tap_done("test_pair");
}
