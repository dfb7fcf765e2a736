/* The forensic log's record chain: each record carries its sequence number
 * and a SHA-256 (or, with a key, HMAC-SHA-256) over the previous record's
 * hash and its own text.  Shared by the writer and the verifier. */
#ifndef BW_LOGCHAIN_H
#define BW_LOGCHAIN_H

#include <stddef.h>
#include <linux/types.h>
#include "sbuf.h"

#define CHAIN_HASH_LEN 32

struct chain {
	unsigned char prev[CHAIN_HASH_LEN];
	__u64 seq;		/* of the last record */
	const unsigned char *key;	/* NULL: plain SHA-256 */
	size_t keylen;
};

/*
 * Seal one JSON object (json, len, ending in '}') as the next record:
 * out gets {...,"seq":N,"hash":"<hex>"} (no newline) and the chain moves on.
 * 0 or -EIO when the hash library fails.
 */
int chain_seal(struct chain *c, const char *json, size_t len, struct sbuf *out);

/*
 * Check one sealed line against the chain: 0 and the chain moves on, or
 * -EINVAL (no seq/hash), -EBADMSG (hash does not fit), -ERANGE (seq not the
 * next one).  When adopt is set, the chain's prev and seq are taken from the
 * record's "chain_prev" field first (the oldest file of a rotated set).
 */
int chain_check(struct chain *c, const char *line, size_t len, int adopt);

/*
 * Whether line (len bytes, no newline) has the shape of a whole sealed
 * record: '{' ... ,"seq":N ... ,"hash":"<64 hex>"} and no NUL byte.  The
 * hash itself is not checked: this finds where a torn file stops.
 */
int chain_looks_sealed(const char *line, size_t len);

/* Read "hash" and "seq" of a sealed line into c (to continue a chain). */
int chain_resume(struct chain *c, const char *line);

void hex_encode(const unsigned char *in, size_t n, char *out);
int hex_decode(const char *in, unsigned char *out, size_t n);

#endif
