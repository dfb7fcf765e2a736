#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sbuf.h"

void sbuf_init(struct sbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void sbuf_free(struct sbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	sbuf_init(sb);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = 0;
}

static int grow_slow(struct sbuf *sb, size_t need)
{
	char *nb;
	size_t cap;

	if (sb->oom)
		return -1;
	if (sb->limit && need > sb->limit) {
		sb->oom = 1;
		return -1;
	}
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = 1;
		return -1;
	}
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

/* Room for `extra` more bytes and the NUL.  Called per character while
 * records are rendered (a bind storm renders ~100,000 a second): the common
 * case, room already there, is one compare, inlined. */
static inline __attribute__((always_inline)) int grow(struct sbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need <= sb->cap && !sb->oom && (!sb->limit || need <= sb->limit))
		return 0;
	return grow_slow(sb, need);
}

void sbuf_putc_slow(struct sbuf *sb, char c)
{
	if (grow(sb, 1))
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = 0;
}

void sbuf_puts(struct sbuf *sb, const char *s)
{
	size_t n = strlen(s);

	if (grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n + 1);
	sb->len += n;
}

void sbuf_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}

void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* format straight into the spare room; measure and grow only if short */
	if (sb->cap > sb->len + 1 && !sb->oom) {
		va_start(ap, fmt);
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < sb->cap - sb->len &&
		    (!sb->limit || sb->len + (size_t)n + 1 <= sb->limit)) {
			sb->len += (size_t)n;
			return;
		}
		sb->buf[sb->len] = 0;
	} else {
		va_start(ap, fmt);
		n = vsnprintf(NULL, 0, fmt, ap);
		va_end(ap);
	}
	if (n < 0 || grow(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

size_t sbuf_utf8_len(const unsigned char *s, size_t n, unsigned int *cpp)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80) {
		*cpp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return len;
}

int sbuf_cp_is_dangerous(unsigned int cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Bytes a JSON string carries as they are: printable ASCII but '"' (0x22)
 * and '\\' (0x5c). */
static const unsigned char json_plain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

void sbuf_json_str(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	unsigned int cp = 0;

	/* Most strings (names, comm, paths, addresses) are plain ASCII: room
	 * once, one copy with the quotes.  A record has ~40 of them. */
	while (i < n && json_plain[p[i]])
		i++;
	if (i == n || !p[i]) {
		if (grow(sb, i + 2))
			return;
		sb->buf[sb->len] = '"';
		memcpy(sb->buf + sb->len + 1, s, i);
		sb->buf[sb->len + 1 + i] = '"';
		sb->len += i + 2;
		sb->buf[sb->len] = 0;
		return;
	}
	i = 0;
	sbuf_putc(sb, '"');
	while (i < n && p[i]) {
		unsigned char c = p[i];
		size_t run = i;

		/* a run of printable ASCII that needs no escape: one copy */
		while (run < n && json_plain[p[run]])
			run++;
		if (run > i) {
			sbuf_putn(sb, s + i, run - i);
			i = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			sbuf_putc(sb, '\\');
			sbuf_putc(sb, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			sbuf_printf(sb, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			sbuf_putc(sb, (char)c);
			i++;
		} else if ((l = sbuf_utf8_len(p + i, n - i, &cp)) != 0 &&
			   !memchr(p + i, 0, l)) {
			if (sbuf_cp_is_dangerous(cp)) {
				sbuf_printf(sb, "\\u%04x", cp);
				i += l;
			} else {
				while (l--)
					sbuf_putc(sb, (char)p[i++]);
			}
		} else {
			sbuf_printf(sb, "\\u%04x", c);
			i++;
		}
	}
	sbuf_putc(sb, '"');
}

void sbuf_term_str(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n && p[i]; i++) {
		if (p[i] == '\\')
			sbuf_puts(sb, "\\\\");
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			sbuf_printf(sb, "\\x%02x", p[i]);
		else
			sbuf_putc(sb, (char)p[i]);
	}
}

void sbuf_term_col(struct sbuf *sb, const char *s, size_t n, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, used = 0;

	for (i = 0; i < n && p[i]; i++) {
		size_t w = p[i] == '\\' ? 2 : (p[i] < 0x20 || p[i] >= 0x7f) ? 4 : 1;

		if (used + w > width)
			break;
		sbuf_term_str(sb, s + i, 1);
		used += w;
	}
	for (; used < width; used++)
		sbuf_putc(sb, ' ');
}
