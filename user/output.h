/* Records to text lines and NDJSON lines.  Pure: no I/O, no clocks.
 * Every renderer returns 0, or -ENOMEM when the buffer could not grow: the
 * caller must then drop what was appended (a record is whole or not written). */
#ifndef BW_OUTPUT_H
#define BW_OUTPUT_H

#include "record.h"
#include "sbuf.h"
#include "sink.h"

/* RFC 3339 UTC with microseconds: 2026-11-24T11:03:21.123456Z */
void format_ts(struct sbuf *sb, __u64 real_ns);

int output_json_record(struct sbuf *sb, const struct bw_record *r);
/* one holder object (who --json); errors show as sb->oom */
void output_json_holder(struct sbuf *sb, const struct bw_holder *h);
int output_json_ready(struct sbuf *sb, const struct bw_ready *r);
int output_json_summary(struct sbuf *sb, const struct bw_summary *s);
int output_json_gap(struct sbuf *sb, const struct bw_gap *g);
int output_json_reload(struct sbuf *sb, const struct bw_reload *r);
/* "drops", "unrendered", "write", "table_full", "cut" */
const char *gap_kind_name(enum bw_gap_kind k);

/* The sink-facing records by kind, for sinks that treat them alike. */
enum output_kind { OUT_READY, OUT_RECORD, OUT_GAP, OUT_RELOAD, OUT_SUMMARY };
/* Append the NDJSON line (no newline) of obj, an object of kind k; 0 or -ENOMEM. */
int output_json(struct sbuf *sb, enum output_kind k, const void *obj);

/* Fixed columns under 80 characters; kernel strings neutralised. */
int output_text_header(struct sbuf *sb);
int output_text_record(struct sbuf *sb, const struct bw_record *r);
int output_text_summary(struct sbuf *sb, const struct bw_summary *s);
int output_text_gap(struct sbuf *sb, const struct bw_gap *g);

#endif
