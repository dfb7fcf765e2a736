#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "logchain.h"

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int nib(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int hex_decode(const char *in, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = nib(in[2 * i]), lo = hi < 0 ? -1 : nib(in[2 * i + 1]);

		if (lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* H(prev || body): SHA-256, or HMAC-SHA-256 under the key. */
static int digest(const struct chain *c, const char *body, size_t len,
		  unsigned char out[CHAIN_HASH_LEN])
{
	unsigned char *buf = malloc(CHAIN_HASH_LEN + len);
	unsigned int dlen = 0;
	size_t mlen = 0;
	int ok;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, c->prev, CHAIN_HASH_LEN);
	memcpy(buf + CHAIN_HASH_LEN, body, len);
	if (c->key)
		ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, c->key, c->keylen, buf,
			       CHAIN_HASH_LEN + len, out, CHAIN_HASH_LEN, &mlen) != NULL &&
		     mlen == CHAIN_HASH_LEN;
	else
		ok = EVP_Digest(buf, CHAIN_HASH_LEN + len, out, &dlen, EVP_sha256(), NULL) &&
		     dlen == CHAIN_HASH_LEN;
	free(buf);
	return ok ? 0 : -EIO;
}

int chain_seal(struct chain *c, const char *json, size_t len, struct sbuf *out)
{
	unsigned char h[CHAIN_HASH_LEN];
	char hex[2 * CHAIN_HASH_LEN + 1];
	size_t start = out->len;
	int err;

	if (!len || json[len - 1] != '}')
		return -EINVAL;
	/* body: the object without its '}', then the sequence number */
	sbuf_printf(out, "%.*s,\"seq\":%llu", (int)(len - 1), json,
		    (unsigned long long)(c->seq + 1));
	err = digest(c, out->buf + start, out->len - start, h);
	if (err) {
		out->len = start;
		out->buf[start] = 0;
		return err;
	}
	hex_encode(h, CHAIN_HASH_LEN, hex);
	sbuf_printf(out, ",\"hash\":\"%s\"}", hex);
	memcpy(c->prev, h, CHAIN_HASH_LEN);
	c->seq++;
	return 0;
}

static int field_u64(const char *line, const char *key, __u64 *v)
{
	const char *p = strstr(line, key);

	if (!p)
		return -EINVAL;
	*v = strtoull(p + strlen(key), NULL, 10);
	return 0;
}

int chain_looks_sealed(const char *line, size_t len)
{
	const size_t tail = 9 + 2 * CHAIN_HASH_LEN + 2;	/* ,"hash":"<hex>"} */
	const char *h;

	if (len < 1 + tail || line[0] != '{' || memchr(line, 0, len))
		return 0;
	h = line + len - tail;
	if (memcmp(h, ",\"hash\":\"", 9) || memcmp(line + len - 2, "\"}", 2))
		return 0;
	for (size_t i = 0; i < 2 * CHAIN_HASH_LEN; i++)
		if (nib(h[9 + i]) < 0)
			return 0;
	return memmem(line, (size_t)(h - line), ",\"seq\":", 7) != NULL;
}

int chain_resume(struct chain *c, const char *line)
{
	const char *h = strstr(line, ",\"hash\":\"");

	if (!h || field_u64(line, ",\"seq\":", &c->seq))
		return -EINVAL;
	return hex_decode(h + 9, c->prev, CHAIN_HASH_LEN);
}

int chain_check(struct chain *c, const char *line, size_t len, int adopt)
{
	const char *h = NULL, *p;
	unsigned char want[CHAIN_HASH_LEN], got[CHAIN_HASH_LEN];
	__u64 seq;
	int err;

	/* the last ,"hash": is ours: kernel strings are escaped, never raw quotes */
	for (p = line; (p = strstr(p, ",\"hash\":\"")) && p < line + len; p++)
		h = p;
	if (!h || (size_t)(line + len - h) != 9 + 2 * CHAIN_HASH_LEN + 2 ||
	    field_u64(line, ",\"seq\":", &seq))
		return -EINVAL;
	/* "seq" must be the body's last field: take the last occurrence */
	for (p = line; (p = strstr(p, ",\"seq\":")) && p < h; p++)
		seq = strtoull(p + 7, NULL, 10);
	if (hex_decode(h + 9, got, CHAIN_HASH_LEN))
		return -EINVAL;
	if (adopt) {
		const char *cp = strstr(line, "\"chain_prev\":\"");

		if (!cp || hex_decode(cp + 14, c->prev, CHAIN_HASH_LEN))
			return -EINVAL;
		c->seq = seq - 1;
	}
	if (seq != c->seq + 1)
		return -ERANGE;
	err = digest(c, line, (size_t)(h - line), want);
	if (err)
		return err;
	if (memcmp(want, got, CHAIN_HASH_LEN))
		return -EBADMSG;
	memcpy(c->prev, got, CHAIN_HASH_LEN);
	c->seq = seq;
	return 0;
}
