/*
 * The one JSON writer every record goes through (in the spirit of bpftool's
 * json_writer.c): objects, arrays, names and values, with the commas placed
 * by the writer, strings always escaped by sbuf_json_str().  Writes into an
 * sbuf, so an allocation failure shows as sb->oom and the caller refuses the
 * whole record.
 */
#ifndef BW_JSON_WRITER_H
#define BW_JSON_WRITER_H

#include <stddef.h>
#include <linux/types.h>
#include "sbuf.h"

#define JW_MAX_DEPTH 16

struct jw {
	struct sbuf *sb;
	int depth;
	unsigned char has_item[JW_MAX_DEPTH];	/* a comma before the next */
};

void jw_init(struct jw *w, struct sbuf *sb);
void jw_start_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_start_array(struct jw *w);
void jw_end_array(struct jw *w);
/* The name of the next member of an object. */
void jw_name(struct jw *w, const char *name);

void jw_string(struct jw *w, const char *s);
/* At most n bytes of s, stopping at NUL (kernel strings are not terminated). */
void jw_string_n(struct jw *w, const char *s, size_t n);
/* null when s is empty */
void jw_string_or_null(struct jw *w, const char *s, size_t n);
void jw_uint(struct jw *w, unsigned long long v);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
void jw_float(struct jw *w, const char *fmt, double v);
/* RFC 3339 UTC with microseconds, as a string. */
void jw_ts(struct jw *w, __u64 real_ns);

/* name + value in one call */
void jw_string_field(struct jw *w, const char *name, const char *s);
void jw_uint_field(struct jw *w, const char *name, unsigned long long v);
void jw_bool_field(struct jw *w, const char *name, int v);
void jw_ts_field(struct jw *w, const char *name, __u64 real_ns);
void jw_string_or_null_field(struct jw *w, const char *name, const char *s, size_t n);

#endif
