/* The metrics sink: records in, exposition text out, compared whole. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"
#include "metrics.h"
#include "flag.h"
#include "severity.h"

static struct bw_record rec;

static const struct bw_record *mk(__u8 kind, __u8 proto, int err)
{
	memset(&rec, 0, sizeof(rec));
	rec.ev.kind = kind;
	rec.ev.proto = proto;
	rec.ev.family = 2;
	rec.err = err;
	return &rec;
}

static void add_flag(const char *kind, const char *sev, const char *service)
{
	struct bw_flag *f = &rec.flags[rec.nflags++];

	f->kind = (enum bw_flag_kind)flag_kind_from_name(kind);
	f->severity = (enum bw_severity)severity_from_name(sev);
	snprintf(f->service, sizeof(f->service), "%s", service);
}

static const char want_page[] =
"# HELP bindwatch_events_total Reported bind, listen, close and connect events by outcome.\n"
"# TYPE bindwatch_events_total counter\n"
"bindwatch_events_total{event=\"bind\",result=\"ok\"} 4\n"
"bindwatch_events_total{event=\"bind\",result=\"failed\"} 3\n"
"bindwatch_events_total{event=\"listen\",result=\"ok\"} 1\n"
"bindwatch_events_total{event=\"listen\",result=\"failed\"} 1\n"
"bindwatch_events_total{event=\"close\",result=\"ok\"} 1\n"
"bindwatch_events_total{event=\"close\",result=\"failed\"} 0\n"
"bindwatch_events_total{event=\"connect\",result=\"ok\"} 1\n"
"bindwatch_events_total{event=\"connect\",result=\"failed\"} 0\n"
"# HELP bindwatch_bind_failures_total Failed binds by errno name and protocol.\n"
"# TYPE bindwatch_bind_failures_total counter\n"
"bindwatch_bind_failures_total{errno=\"other\",proto=\"other\"} 1\n"
"bindwatch_bind_failures_total{errno=\"EACCES\",proto=\"udp\"} 1\n"
"bindwatch_bind_failures_total{errno=\"EADDRINUSE\",proto=\"tcp\"} 1\n"
"# HELP bindwatch_flags_total Flags raised on events (collision, claim, ...) by kind and severity.\n"
"# TYPE bindwatch_flags_total counter\n"
"bindwatch_flags_total{kind=\"collision\",severity=\"error\"} 1\n"
"bindwatch_flags_total{kind=\"claim\",severity=\"warning\"} 3\n"
"bindwatch_flags_total{kind=\"claim\",severity=\"info\"} 1\n"
"bindwatch_flags_total{kind=\"ephemeral_steal\",severity=\"warning\"} 1\n"
"# HELP bindwatch_claim_binds_total Binds on a registry-claimed port by a process the claim does not expect.\n"
"# TYPE bindwatch_claim_binds_total counter\n"
"bindwatch_claim_binds_total{service=\"kube-proxy-healthz\"} 1\n"
"bindwatch_claim_binds_total{service=\"laserfiche-eventhub\"} 1\n"
"bindwatch_claim_binds_total{service=\"a\\\"b\\\\c\\nd?e\"} 1\n"
"# HELP bindwatch_guard_total Port guard records by action: deny (refused), audit (would have been), held (at start).\n"
"# TYPE bindwatch_guard_total counter\n"
"bindwatch_guard_total{action=\"deny\"} 2\n"
"bindwatch_guard_total{action=\"audit\"} 1\n"
"bindwatch_guard_total{action=\"held\"} 0\n"
"# HELP bindwatch_ring_dropped_total Events lost in the kernel because the ring buffer was full.\n"
"# TYPE bindwatch_ring_dropped_total counter\n"
"bindwatch_ring_dropped_total 42\n"
"# HELP bindwatch_untracked_sockets_total Sockets the kernel-side state table had no room for (their close may go unreported).\n"
"# TYPE bindwatch_untracked_sockets_total counter\n"
"bindwatch_untracked_sockets_total 3\n"
"# HELP bindwatch_port_table_sockets Sockets in the agent's live port table.\n"
"# TYPE bindwatch_port_table_sockets gauge\n"
"bindwatch_port_table_sockets 17\n"
"# HELP bindwatch_log_records_total Records appended to the sealed log (0 without one).\n"
"# TYPE bindwatch_log_records_total counter\n"
"bindwatch_log_records_total 9\n"
"# HELP bindwatch_log_gaps_total Gap notices (drops, records lost to write errors, table full) the sinks were given.\n"
"# TYPE bindwatch_log_gaps_total counter\n"
"bindwatch_log_gaps_total 2\n"
"# HELP bindwatch_build_info The agent's version and backend; always 1.\n"
"# TYPE bindwatch_build_info gauge\n"
"bindwatch_build_info{version=\"1.2.3\",backend=\"cgroup\"} 1\n";

static __u64 mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void test_page(void)
{
	const struct bw_sink_ops *ops = &metrics_sink_ops;
	struct bw_ready ready = { "cgroup", "1.2.3", NULL, 0 };
	struct bw_gap gap = { BW_GAP_DROPS, 40, 40, 0, NULL };
	struct bw_stats st = { 42, 3, 17, 9, 0 };
	struct bw_summary sum = { 0 };
	struct metrics *m = NULL;
	const char *why = "";
	struct sbuf sb;

	CHECK(!metrics__new(NULL, &m, &why), "metrics__new: %s", why);
	if (!m)
		return;
	CHECK(!metrics__healthy(m, mono()), "healthy before ready");
	ops->ready(m, &ready);
	CHECK(metrics__healthy(m, mono()), "not healthy after ready");
	CHECK(!metrics__healthy(m, mono() + 6000000000ull), "healthy with a stale flush");

	/* mk() builds the record, add_flag() flags it, then the sink takes it */
	ops->record(m, mk(BW_EV_BIND, IPPROTO_TCP, 0));
	ops->record(m, mk(BW_EV_BIND, IPPROTO_UDP, 0));
	mk(BW_EV_BIND, IPPROTO_TCP, EADDRINUSE);
	add_flag("collision", "error", "");
	ops->record(m, &rec);
	ops->record(m, mk(BW_EV_BIND, IPPROTO_UDP, EACCES));
	/* the port guard's records: counted apart, never as binds */
	for (int i = 0; i < 3; i++) {
		mk(BW_EV_BIND, IPPROTO_TCP, i < 2 ? EPERM : 0);
		rec.guard.action = i < 2 ? BW_GUARD_ACT_DENY : BW_GUARD_ACT_AUDIT;
		ops->record(m, &rec);
	}
	ops->record(m, mk(BW_EV_BIND, 200, 4000));		/* both out of range: "other" */
	mk(BW_EV_BIND, IPPROTO_TCP, 0);				/* a bind on 10256: two claims */
	add_flag("claim", "warning", "kube-proxy-healthz");
	add_flag("claim", "info", "laserfiche-eventhub");
	ops->record(m, &rec);
	mk(BW_EV_LISTEN, IPPROTO_TCP, 0);
	add_flag("claim", "warning", "kube-proxy-healthz");	/* not a bind: a flag only */
	ops->record(m, &rec);
	ops->record(m, mk(BW_EV_LISTEN, IPPROTO_TCP, EADDRINUSE));
	ops->record(m, mk(BW_EV_CLOSE, IPPROTO_TCP, 0));
	mk(BW_EV_CONNECT, IPPROTO_TCP, 0);
	add_flag("ephemeral_steal", "warning", "");
	ops->record(m, &rec);
	/* an attempt counts as a bind; a hostile site registry name is escaped */
	mk(BW_EV_BIND_ATTEMPT, IPPROTO_TCP, 0);
	add_flag("claim", "warning", "a\"b\\c\nd\001e");
	ops->record(m, &rec);
	ops->gap(m, &gap);
	gap.kind = BW_GAP_WRITE;
	ops->gap(m, &gap);
	ops->stats(m, &st);
	ops->flush(m, 0);

	sbuf_init(&sb);
	metrics__render(m, &sb);
	CHECK(sb.buf && !strcmp(sb.buf, want_page), "page differs:\n%s", sb.buf ? sb.buf : "");
	sbuf_free(&sb);

	ops->summary(m, &sum);
	CHECK(!metrics__healthy(m, mono()), "healthy after the summary");
	ops->destroy(m);
	ops->destroy(NULL);
}

static void test_label_values(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain", "plain" },
		{ "q\"b\\n\nx", "q\\\"b\\\\n\\nx" },
		{ "tab\there\x7f", "tab?here?" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },		/* valid UTF-8 kept */
		{ "bad\xc3(x\xff", "bad?(x?" },			/* invalid bytes replaced */
		{ "\xed\xa0\x80", "???" },			/* a surrogate */
		{ "\xe2\x82", "??" },				/* cut sequence */
		{ "a\xc2\x9b" "31mb", "a?31mb" },		/* C1 CSI */
		{ "x\xe2\x80\xaey", "x?y" },			/* bidi override */
		{ "l\xe2\x80\xa8m", "l?m" },			/* U+2028 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf sb;

		sbuf_init(&sb);
		metrics_label_value(&sb, cases[i].in, strlen(cases[i].in));
		CHECK_STR(sb.buf ? sb.buf : "", cases[i].want);
		sbuf_free(&sb);
	}
}

static void test_bad_addresses(void)
{
	static const char *bad[] = { "x:1", "1.2.3.4:", "127.0.0.1:99999", "[::1]9", "a:b:c", "" };
	struct metrics *m = NULL;
	const char *why = "";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		CHECK(metrics__new(bad[i], &m, &why) == -EINVAL && !m,
		      "'%s' accepted as a --metrics address", bad[i]);
	}
}

static int http_get(const char *addr, const char *req, char *out, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { 5, 0 };
	unsigned int port = 0;
	size_t got = 0;
	ssize_t n;
	int fd;

	if (sscanf(addr, "127.0.0.1:%u", &port) != 1)
		return -1;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    write(fd, req, strlen(req)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (got < len - 1 && (n = read(fd, out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(fd);
	return 0;
}

/* The HTTP server itself, on a kernel-chosen loopback port. */
static void test_http(void)
{
	struct bw_ready ready = { "cgroup", "1.2.3", NULL, 0 };
	struct bw_summary sum = { 0 };
	struct metrics *m = NULL;
	const char *why = "";
	char buf[8192];

	CHECK(!metrics__new("127.0.0.1:0", &m, &why), "metrics__new: %s", why);
	if (!m)
		return;
	/* the server thread starts at ready(), after the loop dropped capabilities */
	CHECK(!metrics_sink_ops.ready(m, &ready), "ready() could not start the server");
	CHECK(!http_get(metrics__address(m), "GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof(buf)) &&
	      strstr(buf, " 200 "), "healthz after ready: %s", buf);
	CHECK(!http_get(metrics__address(m), "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf)) &&
	      strstr(buf, " 200 ") && strstr(buf, "version=0.0.4") &&
	      strstr(buf, "bindwatch_build_info{version=\"1.2.3\",backend=\"cgroup\"} 1\n"),
	      "metrics: %s", buf);
	CHECK(!http_get(metrics__address(m), "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
			buf, sizeof(buf)) && strstr(buf, " 405 "), "POST: %s", buf);
	CHECK(!http_get(metrics__address(m), "GET /nope HTTP/1.0\r\n\r\n", buf, sizeof(buf)) &&
	      strstr(buf, " 404 "), "unknown path: %s", buf);
	CHECK(!http_get(metrics__address(m), "\x01\x02garbage\r\n\r\n", buf, sizeof(buf)) &&
	      !strstr(buf, " 200 "), "garbage answered 200: %s", buf);
	metrics_sink_ops.summary(m, &sum);
	CHECK(!http_get(metrics__address(m), "GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof(buf)) &&
	      strstr(buf, " 503 "), "healthz after the summary: %s", buf);
	metrics_sink_ops.destroy(m);
}

int main(void)
{
	test_page();
	test_label_values();
	test_bad_addresses();
	test_http();
	return tap_done("metrics");
}
