#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ports.h"

#define NBUCKETS 16384	/* power of two */

struct node {
	struct port_entry e;
	struct node *next;
};

struct ports {
	struct node *buckets[NBUCKETS];
	size_t n, max;
	__u64 untracked;
};

static unsigned int bucket_of(const struct sock_desc *k)
{
	__u64 h = ((__u64)k->netns * 0x9e3779b97f4a7c15ull) ^
		  ((__u64)k->port << 8 | k->proto);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (unsigned int)(h & (NBUCKETS - 1));
}

static int same_port(const struct sock_desc *a, const struct sock_desc *b)
{
	return a->netns == b->netns && a->port == b->port && a->proto == b->proto;
}

struct ports *ports__new(size_t max_entries)
{
	struct ports *p = calloc(1, sizeof(*p));

	if (p)
		p->max = max_entries;
	return p;
}

void ports__free(struct ports *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct node *n = p->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(p);
}

static struct node **find(struct ports *p, const struct sock_desc *key, __u64 cookie)
{
	struct node **pp = &p->buckets[bucket_of(key)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->e.cookie == cookie && same_port(&(*pp)->e.d, key))
			return pp;
	return NULL;
}

int ports__upsert(struct ports *p, const struct port_entry *e)
{
	struct node **pp = find(p, &e->d, e->cookie), *n;

	if (pp) {
		(*pp)->e = *e;
		return 0;
	}
	if (p->n >= p->max) {
		p->untracked++;
		return -ENOSPC;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->e = *e;
	pp = &p->buckets[bucket_of(&e->d)];
	n->next = *pp;
	*pp = n;
	p->n++;
	return 0;
}

int ports__set_listening(struct ports *p, const struct sock_desc *key, __u64 cookie)
{
	struct node **pp = find(p, key, cookie);

	if (!pp)
		return -ENOENT;
	(*pp)->e.d.listening = 1;
	return 0;
}

int ports__remove(struct ports *p, const struct sock_desc *key, __u64 cookie)
{
	struct node **pp = find(p, key, cookie), *n;

	if (!pp)
		return -ENOENT;
	n = *pp;
	*pp = n->next;
	free(n);
	p->n--;
	return 0;
}

void ports__for_port(const struct ports *p, const struct sock_desc *key,
		     int (*fn)(const struct port_entry *e, void *arg), void *arg)
{
	const struct node *n = p->buckets[bucket_of(key)];

	for (; n; n = n->next)
		if (same_port(&n->e.d, key) && fn(&n->e, arg))
			return;
}

size_t ports__count(const struct ports *p)
{
	return p->n;
}

__u64 ports__untracked(const struct ports *p)
{
	return p->untracked;
}
