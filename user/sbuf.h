/* A growable string buffer, and the two ways untrusted text goes into one. */
#ifndef BW_SBUF_H
#define BW_SBUF_H

#include <stddef.h>

struct sbuf {
	char *buf;
	size_t len;
	size_t cap;
	int oom;	/* set once an allocation failed (or limit passed);
			 * output is then cut and must not be used */
	size_t limit;	/* 0, or the most bytes the buffer may hold */
};

void sbuf_init(struct sbuf *sb);
void sbuf_free(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
void sbuf_putc_slow(struct sbuf *sb, char c);

/* One character.  Inline: the JSON writer's quotes, commas and colons are a
 * call each, ~40 a record, and the call showed in a storm's profile. */
static inline void sbuf_putc(struct sbuf *sb, char c)
{
	size_t need = sb->len + 2;

	if (need <= sb->cap && !sb->oom && (!sb->limit || need <= sb->limit)) {
		sb->buf[sb->len++] = c;
		sb->buf[sb->len] = 0;
		return;
	}
	sbuf_putc_slow(sb, c);
}
void sbuf_puts(struct sbuf *sb, const char *s);
void sbuf_putn(struct sbuf *sb, const char *s, size_t n);	/* n bytes, NULs too */
void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Length of the valid UTF-8 sequence at s (s[0] readable, at most n bytes):
 * 1 to 4, or 0 if it is not UTF-8 (a bad lead or continuation byte, cut
 * short, an overlong form, a surrogate, past U+10FFFF).  *cpp gets the code
 * point.  The one validator for every escaper of untrusted text.
 */
size_t sbuf_utf8_len(const unsigned char *s, size_t n, unsigned int *cpp);

/* A code point that is valid but acted on by terminals and text viewers (C1
 * controls, bidirectional overrides and isolates, U+2028/2029): every
 * escaper escapes or replaces it. */
int sbuf_cp_is_dangerous(unsigned int cp);

/*
 * Append s (at most n bytes, stopping at NUL) as a JSON string with quotes.
 * Control characters become \uXXXX, bytes that are not valid UTF-8 become
 * \u00XX of the byte, so the output is always valid JSON.  Code points a
 * terminal or viewer may act on are escaped too: C1 controls (U+0080-009F,
 * U+009B is CSI), bidirectional overrides and isolates (U+202A-202E,
 * U+2066-2069, U+200E/F, U+061C) and U+2028/2029.
 */
void sbuf_json_str(struct sbuf *sb, const char *s, size_t n);

/*
 * Append s (at most n bytes, stopping at NUL) for a terminal: control
 * characters, DEL and bytes >= 0x80 become \xHH, backslash becomes \\, so
 * nothing from the kernel can move the cursor or change colours.
 */
void sbuf_term_str(struct sbuf *sb, const char *s, size_t n);

/*
 * sbuf_term_str() into a column of width characters: cut before an escape
 * that would not fit whole (never "\xf"), then padded with spaces.
 */
void sbuf_term_col(struct sbuf *sb, const char *s, size_t n, size_t width);

#endif
