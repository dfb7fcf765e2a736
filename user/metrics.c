/*
 * The metrics sink.  Writers: only the watch loop's thread (record, gap,
 * stats, flush...).  Readers: libmicrohttpd's one internal thread (its side
 * is metrics_http.c), which renders /metrics.  Plain counters are C11
 * atomics (relaxed: each is independent, a scrape is a sample anyway); the
 * two label tables that grow (flag kinds, claimed services) sit under a
 * mutex held for a few compares by the loop and for a memcpy by the
 * renderer, never across I/O.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "metrics.h"
#include "metrics_http.h"
#include "flag.h"
#include "severity.h"
#include "record.h"

/* bindwatch_events_total{event}: see ev_slot() */
static const char *const ev_names[] = { "bind", "listen", "close", "connect" };
#define N_EV	4

/* BW_EV_* to its row; an attempt is reported as a bind; -1 for others. */
static int ev_slot(__u8 kind)
{
	switch (kind) {
	case BW_EV_BIND:
	case BW_EV_BIND_ATTEMPT:
		return 0;
	case BW_EV_LISTEN:
		return 1;
	case BW_EV_CLOSE:
		return 2;
	case BW_EV_CONNECT:
		return 3;
	default:
		return -1;
	}
}

/*
 * bindwatch_bind_failures_total{errno,proto}: errnos are kernel numbers
 * (< 256 on every architecture; anything else is counted as "other"), protos
 * the inet ones bind() takes.  At most 256 x 4 series, in practice a handful.
 */
#define N_ERRNO	256
static const char *const proto_slots[] = { "tcp", "udp", "sctp", "other" };
#define N_PROTO	4

/* Label tables bounded so a scrape stays small whatever the registry holds. */
#define N_FLAGS		32
#define N_SERVICES	128

struct flag_count {
	enum bw_flag_kind kind;
	enum bw_severity severity;
	__u64 n;
};

struct service_count {
	char service[64];
	__u64 n;
};

struct metrics {
	_Atomic __u64 events[N_EV][2];		/* [event][failed] */
	_Atomic __u64 bind_failures[N_ERRNO][N_PROTO];
	_Atomic __u64 guard[4];			/* [BW_GUARD_ACT_*]: the port guard's records */
	_Atomic __u64 dropped, untracked, table_sockets, log_records, log_gaps;
	_Atomic __u64 last_flush_ns;		/* CLOCK_MONOTONIC of the loop's last flush */
	_Atomic int attached;

	pthread_mutex_t lock;			/* the tables and build info below */
	struct flag_count flags[N_FLAGS];
	unsigned int nflags;
	__u64 flags_other;			/* past N_FLAGS distinct pairs */
	struct service_count services[N_SERVICES];
	unsigned int nservices;
	__u64 services_other;			/* past N_SERVICES distinct names */
	char backend[32];
	char version[32];

	struct MHD_Daemon *httpd;
	int listen_fd;
	char address[80];
};

__u64 metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void bump(_Atomic __u64 *c, __u64 n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void store_max(_Atomic __u64 *c, __u64 v)
{
	__u64 cur = atomic_load_explicit(c, memory_order_relaxed);

	while (v > cur && !atomic_compare_exchange_weak_explicit(c, &cur, v,
								 memory_order_relaxed,
								 memory_order_relaxed))
		;
}

static __u64 get(const _Atomic __u64 *c)
{
	return atomic_load_explicit((_Atomic __u64 *)c, memory_order_relaxed);
}

static unsigned int proto_slot(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 0;
	case IPPROTO_UDP:
		return 1;
	case IPPROTO_SCTP:
		return 2;
	default:
		return 3;
	}
}

void metrics_label_value(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned int cp;

	while (i < n && p[i]) {
		if (p[i] == '\\') {
			sbuf_puts(sb, "\\\\");
		} else if (p[i] == '"') {
			sbuf_puts(sb, "\\\"");
		} else if (p[i] == '\n') {
			sbuf_puts(sb, "\\n");
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			sbuf_putc(sb, '?');
		} else if ((k = sbuf_utf8_len(p + i, n - i, &cp)) == 0) {
			sbuf_putc(sb, '?');
		} else if (sbuf_cp_is_dangerous(cp)) {
			sbuf_putc(sb, '?');	/* one '?' for the whole code point */
			i += k;
			continue;
		} else {
			for (size_t j = 0; j < k; j++)
				sbuf_putc(sb, (char)p[i + j]);
			i += k;
			continue;
		}
		i++;
	}
}

/* ---- the sink callbacks: the loop's thread */

/*
 * Start the server thread on the socket metrics__new() bound (the server then
 * owns it).  Called at ready(): after the loop dropped its capabilities.
 */
static int start_server(struct metrics *m)
{
	m->httpd = metrics_http__start(m->listen_fd, m);
	if (!m->httpd)
		return -EIO;
	m->listen_fd = -1;	/* the server owns it now and closes it on stop */
	return 0;
}

static int m_ready(void *ctx, const struct bw_ready *r)
{
	struct metrics *m = ctx;

	pthread_mutex_lock(&m->lock);
	snprintf(m->backend, sizeof(m->backend), "%s", r->backend ? r->backend : "");
	snprintf(m->version, sizeof(m->version), "%s", r->version ? r->version : "");
	pthread_mutex_unlock(&m->lock);
	atomic_store(&m->last_flush_ns, metrics_now_ns());
	atomic_store(&m->attached, 1);
	if (m->listen_fd >= 0 && !m->httpd)
		return start_server(m);
	return 0;
}

static void count_flag(struct metrics *m, const struct bw_flag *f)
{
	unsigned int i;

	for (i = 0; i < m->nflags; i++)
		if (m->flags[i].kind == f->kind && m->flags[i].severity == f->severity)
			break;
	if (i == m->nflags) {
		if (m->nflags == N_FLAGS) {
			m->flags_other++;
			return;
		}
		m->flags[i].kind = f->kind;
		m->flags[i].severity = f->severity;
		m->nflags++;
	}
	m->flags[i].n++;
}

static void count_claim(struct metrics *m, const char *service)
{
	unsigned int i;

	for (i = 0; i < m->nservices; i++)
		if (!strcmp(m->services[i].service, service))
			break;
	if (i == m->nservices) {
		if (m->nservices == N_SERVICES) {
			m->services_other++;
			return;
		}
		snprintf(m->services[i].service, sizeof(m->services[i].service), "%s", service);
		m->nservices++;
	}
	m->services[i].n++;
}

static int m_record(void *ctx, const struct bw_record *r)
{
	struct metrics *m = ctx;
	int slot = ev_slot(r->ev.kind), failed = r->err != 0;

	/* the guard's own record: the refused bind is counted once, from the
	 * watch's record of it (errno EPERM) */
	if (r->guard.action) {
		if (r->guard.action > 0 && r->guard.action < 4)
			bump(&m->guard[r->guard.action], 1);
		return 0;
	}
	if (slot >= 0)
		bump(&m->events[slot][failed], 1);
	if (slot == 0 && failed)
		bump(&m->bind_failures[r->err > 0 && r->err < N_ERRNO ? r->err : 0]
				      [proto_slot(r->ev.proto)], 1);
	if (!r->nflags)
		return 0;
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < r->nflags && i < BW_MAX_FLAGS; i++) {
		count_flag(m, &r->flags[i]);
		/* a claim flag on a bind: someone not expected took a claimed port */
		if (slot == 0 && r->flags[i].kind == BW_FLAG_CLAIM)
			count_claim(m, r->flags[i].service[0] ? r->flags[i].service : "unknown");
	}
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int m_gap(void *ctx, const struct bw_gap *g)
{
	struct metrics *m = ctx;

	bump(&m->log_gaps, 1);
	if (g->kind == BW_GAP_DROPS)
		store_max(&m->dropped, g->total);
	return 0;
}

static int m_flush(void *ctx, int final)
{
	struct metrics *m = ctx;

	(void)final;
	atomic_store(&m->last_flush_ns, metrics_now_ns());
	return 0;
}

static int m_stats(void *ctx, const struct bw_stats *s)
{
	struct metrics *m = ctx;

	store_max(&m->dropped, s->dropped);
	store_max(&m->untracked, s->untracked);
	atomic_store(&m->table_sockets, s->table_sockets);
	store_max(&m->log_records, s->log_records);
	return 0;
}

static int m_summary(void *ctx, const struct bw_summary *s)
{
	struct metrics *m = ctx;

	store_max(&m->dropped, s->dropped);
	store_max(&m->untracked, s->untracked);
	/* the loop stops reading the ring now: no longer healthy */
	atomic_store(&m->attached, 0);
	return 0;
}

static void m_destroy(void *ctx)
{
	struct metrics *m = ctx;

	if (!m)
		return;
	if (m->httpd)
		MHD_stop_daemon(m->httpd);	/* joins the server thread */
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const struct bw_sink_ops metrics_sink_ops = {
	.name = "metrics",
	.ready = m_ready,
	.record = m_record,
	.gap = m_gap,
	.flush = m_flush,
	.summary = m_summary,
	.destroy = m_destroy,
	.stats = m_stats,
};

/* ---- rendering: the server's thread */

int metrics__healthy(const struct metrics *m, __u64 now_mono_ns)
{
	__u64 last = get(&m->last_flush_ns);

	return atomic_load(&m->attached) &&
	       now_mono_ns - last < (__u64)BW_METRICS_STALE_MS * 1000000ull;
}

static void family(struct sbuf *sb, const char *name, const char *type, const char *help)
{
	sbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one sample and no labels. */
static void single(struct sbuf *sb, const char *name, const char *type, const char *help, __u64 v)
{
	family(sb, name, type, help);
	sbuf_printf(sb, "%s %llu\n", name, (unsigned long long)v);
}

void metrics__render(struct metrics *m, struct sbuf *sb)
{
	/* the tables are copied under the lock and formatted outside it */
	struct flag_count flags[N_FLAGS];
	struct service_count services[N_SERVICES];
	unsigned int nflags, nservices;
	__u64 flags_other, services_other;
	char backend[32], version[32], ebuf[16];

	pthread_mutex_lock(&m->lock);
	nflags = m->nflags;
	nservices = m->nservices;
	memcpy(flags, m->flags, nflags * sizeof(flags[0]));
	memcpy(services, m->services, nservices * sizeof(services[0]));
	flags_other = m->flags_other;
	services_other = m->services_other;
	memcpy(backend, m->backend, sizeof(backend));
	memcpy(version, m->version, sizeof(version));
	pthread_mutex_unlock(&m->lock);

	family(sb, "bindwatch_events_total", "counter",
	       "Reported bind, listen, close and connect events by outcome.");
	for (int e = 0; e < N_EV; e++)
		for (int f = 0; f < 2; f++)
			sbuf_printf(sb, "bindwatch_events_total{event=\"%s\",result=\"%s\"} %llu\n",
				    ev_names[e], f ? "failed" : "ok",
				    (unsigned long long)get(&m->events[e][f]));

	family(sb, "bindwatch_bind_failures_total", "counter",
	       "Failed binds by errno name and protocol.");
	for (int e = 0; e < N_ERRNO; e++)
		for (int p = 0; p < N_PROTO; p++) {
			__u64 n = get(&m->bind_failures[e][p]);

			if (!n)
				continue;
			sbuf_printf(sb, "bindwatch_bind_failures_total{errno=\"%s\",proto=\"%s\"} %llu\n",
				    e ? errno_name(e, ebuf, sizeof(ebuf)) : "other",
				    proto_slots[p], (unsigned long long)n);
		}

	family(sb, "bindwatch_flags_total", "counter",
	       "Flags raised on events (collision, claim, ...) by kind and severity.");
	for (unsigned int i = 0; i < nflags; i++) {
		sbuf_puts(sb, "bindwatch_flags_total{kind=\"");
		metrics_label_value(sb, flag_kind_name(flags[i].kind), strlen(flag_kind_name(flags[i].kind)));
		sbuf_puts(sb, "\",severity=\"");
		metrics_label_value(sb, severity_name(flags[i].severity), strlen(severity_name(flags[i].severity)));
		sbuf_printf(sb, "\"} %llu\n", (unsigned long long)flags[i].n);
	}
	if (flags_other)
		sbuf_printf(sb, "bindwatch_flags_total{kind=\"other\",severity=\"other\"} %llu\n",
			    (unsigned long long)flags_other);

	family(sb, "bindwatch_claim_binds_total", "counter",
	       "Binds on a registry-claimed port by a process the claim does not expect.");
	for (unsigned int i = 0; i < nservices; i++) {
		sbuf_puts(sb, "bindwatch_claim_binds_total{service=\"");
		metrics_label_value(sb, services[i].service, sizeof(services[i].service));
		sbuf_printf(sb, "\"} %llu\n", (unsigned long long)services[i].n);
	}
	if (services_other)
		sbuf_printf(sb, "bindwatch_claim_binds_total{service=\"other\"} %llu\n",
			    (unsigned long long)services_other);

	family(sb, "bindwatch_guard_total", "counter",
	       "Port guard records by action: deny (refused), audit (would have been), held (at start).");
	for (int a = BW_GUARD_ACT_DENY; a <= BW_GUARD_ACT_HELD; a++)
		sbuf_printf(sb, "bindwatch_guard_total{action=\"%s\"} %llu\n",
			    a == BW_GUARD_ACT_DENY ? "deny" : a == BW_GUARD_ACT_AUDIT ? "audit" : "held",
			    (unsigned long long)get(&m->guard[a]));

	single(sb, "bindwatch_ring_dropped_total", "counter",
	       "Events lost in the kernel because the ring buffer was full.", get(&m->dropped));
	single(sb, "bindwatch_untracked_sockets_total", "counter",
	       "Sockets the kernel-side state table had no room for (their close may go unreported).",
	       get(&m->untracked));
	single(sb, "bindwatch_port_table_sockets", "gauge",
	       "Sockets in the agent's live port table.", get(&m->table_sockets));
	single(sb, "bindwatch_log_records_total", "counter",
	       "Records appended to the sealed log (0 without one).", get(&m->log_records));
	single(sb, "bindwatch_log_gaps_total", "counter",
	       "Gap notices (drops, records lost to write errors, table full) the sinks were given.",
	       get(&m->log_gaps));

	family(sb, "bindwatch_build_info", "gauge", "The agent's version and backend; always 1.");
	if (backend[0]) {
		sbuf_puts(sb, "bindwatch_build_info{version=\"");
		metrics_label_value(sb, version, sizeof(version));
		sbuf_puts(sb, "\",backend=\"");
		metrics_label_value(sb, backend, sizeof(backend));
		sbuf_puts(sb, "\"} 1\n");
	}
}

int metrics__new(const char *listen, struct metrics **out, const char **why)
{
	struct metrics *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m) {
		*why = "allocate the metrics";
		return -ENOMEM;
	}
	m->listen_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	if (!listen) {
		*out = m;
		return 0;
	}
	err = metrics_http__listen(listen, &m->listen_fd, m->address, sizeof(m->address));
	if (err) {
		*why = err == -EINVAL ? "parse the --metrics address (ADDR:PORT, [V6]:PORT or :PORT)"
				      : "listen on the --metrics address";
		goto cleanup;
	}
	*out = m;
	return 0;
cleanup:
	m_destroy(m);
	return err;
}

const char *metrics__address(const struct metrics *m)
{
	return m->address;
}
