/* Records to text lines and NDJSON lines.  Pure: no I/O, no clocks.
 * Every renderer returns 0, or -ENOMEM when the buffer could not grow: the
 * caller must then drop what was appended (a record is whole or not written). */
#ifndef BW_OUTPUT_H
#define BW_OUTPUT_H

#include "record.h"
#include "sbuf.h"
#include "sink.h"


struct jw;
/*
 * The members of one holder object, into an object the caller opened (who
 * --json adds its own after them); errors show as sb->oom.
 */
void output_json_holder_fields(struct jw *w, const struct bw_holder *h);
/* "drops", "unrendered", "write", "table_full", "cut", "guard_drops" */
const char *gap_kind_name(enum bw_gap_kind k);

/* The sink-facing records by kind, for sinks that treat them alike. */
enum output_kind { OUT_READY, OUT_RECORD, OUT_GAP, OUT_RELOAD, OUT_SUMMARY };
/* Append the NDJSON line (no newline) of obj, an object of kind k:
 * struct bw_ready, bw_record, bw_gap, bw_reload or bw_summary.  0 or -ENOMEM. */
int output_json(struct sbuf *sb, enum output_kind k, const void *obj);
/* A record with guard.action set is the port guard's ("event":"guard"):
 * a refusal, an audit hit, or a holder found breaking a rule at start. */
/* The same for the two kinds tests and callers name directly. */
int output_json_record(struct sbuf *sb, const struct bw_record *r);
int output_json_ready(struct sbuf *sb, const struct bw_ready *r);

/* Fixed columns under 80 characters; kernel strings neutralised. */
int output_text_header(struct sbuf *sb);
int output_text_record(struct sbuf *sb, const struct bw_record *r);
int output_text_summary(struct sbuf *sb, const struct bw_summary *s);
int output_text_gap(struct sbuf *sb, const struct bw_gap *g);
/* The terminal lines of obj, an object of kind k (the header for ready,
 * nothing for reload); 0 or -ENOMEM. */
int output_text(struct sbuf *sb, enum output_kind k, const void *obj);

#endif
