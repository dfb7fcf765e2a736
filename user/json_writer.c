/* One JSON writer: structure and commas here, escaping in sbuf_json_str(). */
#include <string.h>
#include "json_writer.h"

void jw_init(struct jw *w, struct sbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
}

/* A value is about to be written at the current level. */
static void before_value(struct jw *w)
{
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH) {
		/* in an object the name already placed the comma */
		if (w->has_item[w->depth - 1] == 1)
			sbuf_putc(w->sb, ',');
		w->has_item[w->depth - 1] = 1;
	}
}

static void open_level(struct jw *w, char c)
{
	before_value(w);
	sbuf_putc(w->sb, c);
	w->depth++;
	if (w->depth <= JW_MAX_DEPTH)
		w->has_item[w->depth - 1] = 0;
	else
		w->sb->oom = 1;	/* deeper than any record: refuse, never emit bad JSON */
}

static void close_level(struct jw *w, char c)
{
	sbuf_putc(w->sb, c);
	if (w->depth > 0)
		w->depth--;
}

void jw_start_object(struct jw *w) { open_level(w, '{'); }
void jw_end_object(struct jw *w) { close_level(w, '}'); }
void jw_start_array(struct jw *w) { open_level(w, '['); }
void jw_end_array(struct jw *w) { close_level(w, ']'); }

void jw_name(struct jw *w, const char *name)
{
	before_value(w);
	sbuf_json_str(w->sb, name, strlen(name));
	sbuf_putc(w->sb, ':');
	/* the value that follows needs no comma of its own */
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH)
		w->has_item[w->depth - 1] = 2;
}

void jw_string(struct jw *w, const char *s)
{
	jw_string_n(w, s, strlen(s));
}

void jw_string_n(struct jw *w, const char *s, size_t n)
{
	before_value(w);
	sbuf_json_str(w->sb, s, n);
}

void jw_string_or_null(struct jw *w, const char *s, size_t n)
{
	if (n && s[0])
		jw_string_n(w, s, n);
	else
		jw_null(w);
}

/* Decimal digits by hand: a record has a dozen numbers, and vfprintf for
 * each led the agent's profile in a bind storm. */
static void put_decimal(struct sbuf *sb, int neg, unsigned long long v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	sbuf_putn(sb, buf + i, sizeof(buf) - i);
}

void jw_uint(struct jw *w, unsigned long long v)
{
	before_value(w);
	put_decimal(w->sb, 0, v);
}

void jw_int(struct jw *w, long long v)
{
	before_value(w);
	put_decimal(w->sb, v < 0, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
}

void jw_bool(struct jw *w, int v)
{
	before_value(w);
	sbuf_puts(w->sb, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	before_value(w);
	sbuf_puts(w->sb, "null");
}

void jw_float(struct jw *w, const char *fmt, double v)
{
	before_value(w);
	sbuf_printf(w->sb, fmt, v);
}

/* Two digits, or four, at out. */
static void put2(char *out, unsigned int v)
{
	out[0] = (char)('0' + v / 10 % 10);
	out[1] = (char)('0' + v % 10);
}

/*
 * RFC 3339 UTC with microseconds: 2026-11-24T11:03:21.123456Z.  By hand, not
 * gmtime_r() + strftime() + printf: those led the agent's profile in a bind
 * storm (gmtime_r takes the time-zone lock for each event).  The date from
 * the day number is the proleptic Gregorian calendar in 400-year eras
 * (H. Hinnant's civil_from_days); the epoch is in era 4 and real_ns is
 * never negative, so unsigned arithmetic holds.
 */
static void format_ts(struct sbuf *sb, __u64 real_ns)
{
	__u64 sec = real_ns / 1000000000ull, days = sec / 86400;
	unsigned int sod = (unsigned int)(sec % 86400);
	unsigned int us = (unsigned int)(real_ns % 1000000000ull / 1000);
	__u64 z = days + 719468, era = z / 146097;
	unsigned int doe = (unsigned int)(z - era * 146097);
	unsigned int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;
	unsigned int d = doy - (153 * mp + 2) / 5 + 1;
	unsigned int m = mp < 10 ? mp + 3 : mp - 9;
	__u64 y = yoe + era * 400 + (m <= 2);
	char buf[27];

	if (y > 9999)
		y = 9999;	/* four digits, as RFC 3339 has them */
	put2(buf, (unsigned int)(y / 100));
	put2(buf + 2, (unsigned int)(y % 100));
	buf[4] = '-';
	put2(buf + 5, m);
	buf[7] = '-';
	put2(buf + 8, d);
	buf[10] = 'T';
	put2(buf + 11, sod / 3600);
	buf[13] = ':';
	put2(buf + 14, sod / 60 % 60);
	buf[16] = ':';
	put2(buf + 17, sod % 60);
	buf[19] = '.';
	put2(buf + 20, us / 10000);
	put2(buf + 22, us / 100 % 100);
	put2(buf + 24, us % 100);
	buf[26] = 'Z';
	sbuf_putn(sb, buf, sizeof(buf));
}

void jw_ts(struct jw *w, __u64 real_ns)
{
	before_value(w);
	sbuf_putc(w->sb, '"');
	format_ts(w->sb, real_ns);
	sbuf_putc(w->sb, '"');
}

void jw_string_field(struct jw *w, const char *name, const char *s)
{
	jw_name(w, name);
	jw_string(w, s);
}

void jw_uint_field(struct jw *w, const char *name, unsigned long long v)
{
	jw_name(w, name);
	jw_uint(w, v);
}

void jw_bool_field(struct jw *w, const char *name, int v)
{
	jw_name(w, name);
	jw_bool(w, v);
}

void jw_ts_field(struct jw *w, const char *name, __u64 real_ns)
{
	jw_name(w, name);
	jw_ts(w, real_ns);
}

void jw_string_or_null_field(struct jw *w, const char *name, const char *s, size_t n)
{
	jw_name(w, name);
	jw_string_or_null(w, s, n);
}
