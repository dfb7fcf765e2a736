/*
 * The sinks bindwatch has, and the fan-out that hands one thing to all of
 * them.  Each constructor fills a struct bw_sink (see sink.h); the sink owns
 * its context and frees it in ops->destroy.  Adding an output is one more
 * constructor call that appends to monitor_opts.sinks.
 */
#ifndef BW_SINKS_H
#define BW_SINKS_H

#include <stdio.h>
#include "sink.h"

struct logw;

/*
 * Terminal text and NDJSON on a stream (stdout).  max_record: 0, or the
 * most bytes one record may take (a longer one is refused whole, with a
 * gap).  Both 0 or -ENOMEM.
 */
int sink_text__new(FILE *f, size_t max_record, struct bw_sink *out);
int sink_json__new(FILE *f, size_t max_record, struct bw_sink *out);

/* The sealed log: NDJSON records through logw__append().  w is borrowed. */
int sink_log__new(struct logw *w, size_t max_record, struct bw_sink *out);

/* syslog(3), ident "bindwatch", LOG_DAEMON; one NDJSON record per message. */
int sink_syslog__new(size_t max_record, struct bw_sink *out);
/* LOG_WARNING for a failure or an error flag, else LOG_INFO. */
int sink_syslog__priority(const struct bw_record *r);

/*
 * Fan-out.  A sink that cannot build a record (-ENOMEM) is sent a
 * BW_GAP_RECORD gap instead, and sum->unrendered counts it; other errors
 * are returned (the first one) after every sink had its turn.
 */
int sinks__ready(const struct bw_sink *v, int n, const struct bw_ready *r);
int sinks__record(const struct bw_sink *v, int n, const struct bw_record *r,
		  struct bw_summary *sum);
int sinks__gap(const struct bw_sink *v, int n, const struct bw_gap *g);
int sinks__reload(const struct bw_sink *v, int n, const struct bw_reload *r);
int sinks__flush(const struct bw_sink *v, int n, int final);
int sinks__summary(const struct bw_sink *v, int n, const struct bw_summary *s);
/* SIGHUP for every sink; the first failure's -errno, *name says whose. */
int sinks__hup(const struct bw_sink *v, int n, const char **name);
/* Once per loop, after flush: counters for sinks that export them (metrics). */
int sinks__stats(const struct bw_sink *v, int n, const struct bw_stats *s);
void sinks__destroy(struct bw_sink *v, int n);

#endif
