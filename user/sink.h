/*
 * Sinks: where the watch loop hands what it decided.  The loop is
 * read ring -> pair -> enrich -> sinks; every output (terminal text, NDJSON
 * on stdout, the sealed log, syslog, Prometheus metrics) is one sink, given
 * the decoded record and never pre-rendered text to search.
 *
 * Each callback returns 0 or -errno.  A sink that cannot take a record says
 * so with its return value; the loop counts it and, for sinks that keep a
 * record (the sealed log), the sink itself writes a gap record saying what
 * was lost.  Callbacks may be NULL: the sink has nothing to do for that step.
 */
#ifndef BW_SINK_H
#define BW_SINK_H

#include <stddef.h>
#include "record.h"

/* The agent is attached and about to report. */
struct bw_ready {
	const char *backend;	/* "fentry", "cgroup", "cgroup+exact" */
	const char *version;
	const char *const *hooks;	/* NULL-terminated: programs/features attached,
					 * e.g. "sock_ops", "exact_errno", "guard" */
	__u64 ts_real_ns;
};

/* Totals at the end of a run. */
struct bw_summary {
	__u64 events;		/* records reported */
	__u64 dropped;		/* failed ring-buffer reserves in the kernel */
	__u64 untracked;	/* sockets the kernel's state table had no room for */
	__u64 table_full;	/* sockets the agent's port table had no room for */
	__u64 undecided;	/* binds whose answer may be among the drops */
	__u64 unrendered;	/* records a sink could not build (allocation) */
	__u64 binds, listens, closes, failed;
	double seconds;
};

/* Something that should have been reported and was not. */
enum bw_gap_kind {
	BW_GAP_DROPS = 1,	/* the kernel could not reserve ring space */
	BW_GAP_RECORD,		/* a record could not be built (allocation) */
	BW_GAP_WRITE,		/* a sink could not write (disk full, ...) */
	BW_GAP_TABLE_FULL,	/* the port table could not track a socket */
	BW_GAP_CUT,		/* the sealed log cut a torn tail at start */
	BW_GAP_GUARD_DROPS,	/* the port guard's ring buffer was full: refusals
				 * (or audit hits) happened and were not reported */
};

struct bw_gap {
	enum bw_gap_kind kind;
	__u64 count;		/* how many were lost this time */
	__u64 total;		/* how many since start */
	__u64 ts_real_ns;	/* when it was noticed */
	const char *why;	/* short reason for humans, may be NULL */
};

/* SIGHUP was handled. */
struct bw_reload {
	int ok;			/* 1: everything reloaded */
	const char *what;	/* "registry", "log", "policy", ... */
	const char *why;	/* on failure, what went wrong; else NULL */
	__u64 ts_real_ns;
};

/*
 * What the loop and the other sinks count, handed once per loop to sinks
 * that export it (metrics).  Totals since start unless said otherwise.
 */
struct bw_stats {
	__u64 dropped;		/* failed ring-buffer reserves in the kernel */
	__u64 untracked;	/* sockets the kernel's state table had no room for */
	__u64 table_sockets;	/* sockets in the agent's port table now (a gauge) */
	__u64 log_records;	/* records the sealed log appended (0: no log) */
	__u64 ts_mono_ns;	/* when these were read, CLOCK_MONOTONIC */
};

struct bw_sink_ops {
	const char *name;	/* "text", "json", "log", "syslog", "metrics" */
	int (*ready)(void *ctx, const struct bw_ready *r);
	int (*record)(void *ctx, const struct bw_record *r);
	int (*gap)(void *ctx, const struct bw_gap *g);
	int (*reload)(void *ctx, const struct bw_reload *r);
	/* once per loop (~100 ms; final = 0) and at exit (final = 1) */
	int (*flush)(void *ctx, int final);
	int (*summary)(void *ctx, const struct bw_summary *s);
	/* SIGHUP for the sink itself (reopen a file); may be NULL */
	int (*hup)(void *ctx);
	void (*destroy)(void *ctx);	/* accepts NULL ctx */
	/* once per loop, after flush(); may be NULL (added for metrics) */
	int (*stats)(void *ctx, const struct bw_stats *s);
};

struct bw_sink {
	const struct bw_sink_ops *ops;
	void *ctx;
};

#define BW_MAX_SINKS 4

#endif
