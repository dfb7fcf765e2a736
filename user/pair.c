/* Pairing: attempts with their outcome, tentative listens with their fate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"

struct slot {
	struct bw_event ev;	/* kind 0: answered, skip */
	int undecided;		/* made before a drop the loop was told of */
};

struct pair {
	struct pair_opts o;
	struct pair_ops ops;
	struct slot *q;		/* oldest first, a ring of o.max_pending */
	unsigned int head, count;
	__u64 drop_until;	/* attempts at or before this may have lost
				 * their answer; 0: no drop seen */
	/* the guard's refusals not yet matched to an attempt (cookie 0: free);
	 * a cookie is never reused, so an old one never matches wrongly */
	struct refusal { __u64 cookie; __u16 port; } refused[PAIR_REFUSED_MAX];
	unsigned int refused_next;
};

int pair__new(const struct pair_opts *o, const struct pair_ops *ops, struct pair **out)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->o = *o;
	if (!p->o.max_pending)
		p->o.max_pending = 1;
	p->ops = *ops;
	p->q = calloc(p->o.max_pending, sizeof(*p->q));
	if (!p->q) {
		free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void pair__free(struct pair *p)
{
	if (!p)
		return;
	free(p->q);
	free(p);
}

unsigned int pair__pending(const struct pair *p)
{
	return p->count;
}

static struct slot *at(struct pair *p, unsigned int i)
{
	return &p->q[(p->head + i) % p->o.max_pending];
}

static void emit_as(struct pair *p, const struct bw_event *e, int err, int inferred,
		    int undecided, int guard)
{
	struct pair_decided d;

	memset(&d, 0, sizeof(d));
	d.ev = *e;
	if (d.ev.kind == BW_EV_BIND_ATTEMPT)
		d.ev.kind = BW_EV_BIND;
	d.err = err;
	d.inferred = inferred;
	d.undecided = undecided;
	d.guard = guard;
	p->ops.decided(p->ops.ctx, &d);
}

static void emit(struct pair *p, const struct bw_event *e, int err, int inferred,
		 int undecided)
{
	emit_as(p, e, err, inferred, undecided, 0);
}

/* Did the guard refuse this bind?  The refusal is used up: the same socket
 * may bind again, to a port the policy allows. */
static int take_refusal(struct pair *p, __u64 cookie, __u16 req_port)
{
	for (unsigned int i = 0; cookie && i < PAIR_REFUSED_MAX; i++) {
		struct refusal *r = &p->refused[i];

		if (r->cookie == cookie && r->port == req_port) {
			r->cookie = 0;
			return 1;
		}
	}
	return 0;
}

/* The default outcome of a pending event whose answer never came. */
static void settle(struct pair *p, struct slot *s)
{
	if (s->ev.kind == BW_EV_BIND_ATTEMPT) {
		if (take_refusal(p, s->ev.cookie, s->ev.req_port))
			emit_as(p, &s->ev, EPERM, 0, 0, 1);	/* refused, not in use */
		else if (s->undecided)			/* the answer may be lost */
			emit(p, &s->ev, 0, 0, 1);
		else					/* no success: failed */
			emit(p, &s->ev, p->ops.infer(p->ops.ctx, &s->ev), 1, 0);
	} else if (s->ev.kind == BW_EV_LISTEN) {	/* no failure: listening, */
		emit(p, &s->ev, 0, 0, s->undecided);	/* unless it may be lost */
	}
	s->ev.kind = 0;
}

static void pop_answered(struct pair *p)
{
	while (p->count && !at(p, 0)->ev.kind) {
		p->head = (p->head + 1) % p->o.max_pending;
		p->count--;
	}
}

static void push(struct pair *p, const struct bw_event *e)
{
	struct slot *s;

	if (p->count == p->o.max_pending) {	/* full: judge the oldest now */
		settle(p, at(p, 0));
		p->head = (p->head + 1) % p->o.max_pending;
		p->count--;
		pop_answered(p);
	}
	s = at(p, p->count++);
	s->ev = *e;
	s->undecided = p->drop_until && e->ts_ns <= p->drop_until;
}

/*
 * A new event for a socket answers its pending one: a bind success cancels
 * the attempt, a listen failure cancels the tentative listen.  A listen or a
 * close of the attempted port proves the bind worked even when its success
 * event was lost.  Anything else settles the pending event first, so a
 * socket's events keep their order.
 */
static void answer(struct pair *p, const struct bw_event *e)
{
	unsigned int i;

	/* The answer normally follows directly: search newest first. */
	for (i = p->count; i > 0; i--) {
		struct slot *s = at(p, i - 1);
		const struct bw_event *q = &s->ev;

		if (!q->kind || q->cookie != e->cookie)
			continue;
		if ((q->kind == BW_EV_BIND_ATTEMPT && e->kind == BW_EV_BIND && !e->ret) ||
		    (q->kind == BW_EV_LISTEN && e->kind == BW_EV_LISTEN && e->ret < 0)) {
			s->ev.kind = 0;
		} else if (q->kind == BW_EV_BIND_ATTEMPT && q->req_port &&
			   e->port == q->req_port && e->ret >= 0 &&
			   (e->kind == BW_EV_LISTEN || e->kind == BW_EV_CLOSE)) {
			emit(p, q, 0, 0, 0);
			s->ev.kind = 0;
		} else {
			settle(p, s);
		}
		break;
	}
	pop_answered(p);
}

/*
 * A listen failed: another socket's listen on the same port, still waiting
 * for its own fate, is what holds the port.  It is decided first (as
 * listening), so the next stage knows the holder when the failure comes.
 */
static void confirm_rival_listens(struct pair *p, const struct bw_event *e)
{
	for (unsigned int i = 0; i < p->count; i++) {
		struct slot *s = at(p, i);

		if (s->ev.kind == BW_EV_LISTEN && s->ev.cookie != e->cookie &&
		    s->ev.port == e->port && s->ev.netns == e->netns &&
		    s->ev.proto == e->proto) {
			s->undecided = 0;	/* the failure is the evidence */
			settle(p, s);
		}
	}
	pop_answered(p);
}

void pair__event(struct pair *p, const struct bw_event *e)
{
	if (p->count && e->cookie)
		answer(p, e);
	if (e->kind == BW_EV_BIND_ATTEMPT ||
	    (e->kind == BW_EV_LISTEN && (e->flags & BW_F_TENTATIVE))) {
		push(p, e);
		return;
	}
	if (e->kind == BW_EV_BIND && (e->ret == -EPERM || e->ret > 0) &&
	    take_refusal(p, e->cookie, e->req_port)) {
		/* a failure the guard caused (fentry: the kernel's -EPERM) */
		emit_as(p, e, EPERM, 0, 0, 1);
	} else if (e->kind == BW_EV_BIND && e->ret > 0) {
		/* failed (the kernel saw that), errno unknown to the kernel side */
		emit(p, e, p->ops.infer(p->ops.ctx, e), 1, 0);
	} else if (e->kind == BW_EV_LISTEN && e->ret < 0) {
		confirm_rival_listens(p, e);
		emit(p, e, -e->ret, p->o.listen_err_inferred, 0);
	} else {
		emit(p, e, e->ret < 0 ? -e->ret : 0, 0, 0);
	}
}

void pair__expire(struct pair *p, __u64 now_mono)
{
	while (p->count) {
		struct slot *s = at(p, 0);

		if (s->ev.kind && s->ev.ts_ns + p->o.grace_ns > now_mono)
			break;
		if (s->ev.kind)
			settle(p, s);
		p->head = (p->head + 1) % p->o.max_pending;
		p->count--;
	}
}

void pair__drain(struct pair *p)
{
	pair__expire(p, ~0ull);
}

void pair__refused(struct pair *p, __u64 cookie, __u16 req_port)
{
	struct refusal *r;

	if (!cookie)
		return;
	/* waiting now: decided at once (the guard's word is the answer) */
	for (unsigned int i = p->count; i > 0; i--) {
		struct slot *s = at(p, i - 1);

		if (s->ev.kind == BW_EV_BIND_ATTEMPT && s->ev.cookie == cookie &&
		    s->ev.req_port == req_port) {
			emit_as(p, &s->ev, EPERM, 0, 0, 1);
			s->ev.kind = 0;
			pop_answered(p);
			return;
		}
	}
	/* not read yet (or already answered: a post_bind refusal after the
	 * watch's own post_bind reported the port; nothing then takes it) */
	r = &p->refused[p->refused_next++ % PAIR_REFUSED_MAX];
	r->cookie = cookie;
	r->port = req_port;
}

void pair__drops(struct pair *p, __u64 now_mono)
{
	p->drop_until = now_mono;
	for (unsigned int i = 0; i < p->count; i++)
		at(p, i)->undecided = 1;
}
