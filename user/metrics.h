/*
 * The metrics sink: counters kept from the decoded records (never from
 * rendered text), served to Prometheus in its text exposition format on
 * /metrics, with /healthz for liveness probes.
 *
 * The event path only bumps atomics (and, for the rare flagged record, takes
 * a short mutex on two small tables); the HTTP server (libmicrohttpd) runs in
 * its own thread and renders the page there, so a slow or hostile client can
 * never stall the agent.
 */
#ifndef BW_METRICS_H
#define BW_METRICS_H

#include <linux/types.h>
#include "sbuf.h"
#include "sink.h"

/* Default --metrics port: see README "Run it on a fleet" for why this one. */
#define BW_METRICS_PORT 24630

/* /healthz answers 503 when the loop has not called flush() for this long. */
#define BW_METRICS_STALE_MS 5000

struct metrics;

/*
 * Start the endpoint on listen ("ADDR:PORT", "[V6ADDR]:PORT", ":PORT" or
 * "PORT" for every address; NULL: no HTTP server, render-only, for tests).
 * The listening socket is bound here, before the slow BPF load, so a taken
 * port stops the agent at once; the server thread starts at ready(), after
 * the loop dropped its capabilities, and drops the rest for itself.  Until
 * then clients wait in the listen backlog.  Returns 0 or -errno; on failure
 * *why names the step.  Free with metrics_sink_ops.destroy.
 */
int metrics__new(const char *listen, struct metrics **out, const char **why);

/* The address actually bound (port filled in for ":0"); "" without a server. */
const char *metrics__address(const struct metrics *m);

/* Render the exposition page (text format 0.0.4) into out. */
void metrics__render(struct metrics *m, struct sbuf *out);

/* 1 when the programs are attached and the loop flushed within stale_ms. */
int metrics__healthy(const struct metrics *m, __u64 now_mono_ns);

/* A Prometheus label value: \\, \" and \n escaped, other control bytes and
 * bytes that are not UTF-8 as '?', so the page always parses. */
void metrics_label_value(struct sbuf *sb, const char *s, size_t n);

extern const struct bw_sink_ops metrics_sink_ops;

#endif
