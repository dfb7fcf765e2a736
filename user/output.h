/* Records to text lines and NDJSON lines.  Pure: no I/O, no clocks. */
#ifndef BW_OUTPUT_H
#define BW_OUTPUT_H

#include "record.h"
#include "sbuf.h"
#include "sink.h"


/* RFC 3339 UTC with microseconds: 2026-11-24T11:03:21.123456Z */
void format_ts(struct sbuf *sb, __u64 real_ns);

void output_json_record(struct sbuf *sb, const struct bw_record *r);
void output_json_holder(struct sbuf *sb, const struct bw_holder *h);
void output_json_ready(struct sbuf *sb, const char *backend, const char *version);
void output_json_summary(struct sbuf *sb, const struct bw_summary *s);

/* A port-guard record (r->guard.action set): a refusal, an audit hit, or a
 * holder found breaking a rule at start. */
void output_json_guard(struct sbuf *sb, const struct bw_record *r);
void output_text_guard(struct sbuf *sb, const struct bw_record *r);

/* Fixed columns under 80 characters; kernel strings neutralised. */
void output_text_header(struct sbuf *sb);
void output_text_record(struct sbuf *sb, const struct bw_record *r);
void output_text_summary(struct sbuf *sb, const struct bw_summary *s);

#endif
