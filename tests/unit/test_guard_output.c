/* Guard records as NDJSON and text: every field, kept_for as a list, hostile
 * comm strings escaped, the three actions. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "bw_guard.h"
#include "output.h"
#include "sinks.h"
#include "tap.h"

static struct bw_record *guard_record(int action)
{
	struct bw_record *r = calloc(1, sizeof(*r));

	r->ev.pid = 4242;
	r->ev.tid = 4243;
	r->ev.uid = 1000;
	r->ev.cgroup_id = 77;
	r->ev.netns = 4026531840u;
	r->ev.family = AF_INET;
	r->ev.proto = IPPROTO_TCP;
	r->ev.port = 10256;
	r->ev.cookie = 99;
	r->ev.addr[0] = 127;
	r->ev.addr[3] = 1;
	memcpy(r->ev.comm, "evil\x1b[31m\"x\n", 12);
	r->ts_real_ns = 1764316800123456000ull;	/* 2025-11-28T08:00:00.123456Z */
	r->err = action == BW_GUARD_DENY ? EPERM : 0;
	r->guard.action = action;
	snprintf(r->guard.rule, sizeof(r->guard.rule), "/etc/bindwatch/guard.conf:3");
	snprintf(r->guard.kept_for, sizeof(r->guard.kept_for),
		 "cgroup:/system.slice/kube-proxy.service,uid:0");
	snprintf(r->netns_name, sizeof(r->netns_name), "host");
	return r;
}

static void test_json(void)
{
	struct bw_record *r = guard_record(BW_GUARD_DENY);
	struct sbuf sb;

	sbuf_init(&sb);
	output_json(&sb, OUT_RECORD, r);
	CHECK_STR(sb.buf,
		  "{\"event\":\"guard\",\"action\":\"deny\",\"ts\":\"2025-11-28T08:00:00.123456Z\","
		  "\"rule\":\"/etc/bindwatch/guard.conf:3\","
		  "\"kept_for\":[\"cgroup:/system.slice/kube-proxy.service\",\"uid:0\"],"
		  "\"hook\":\"bind\",\"pid\":4242,\"tid\":4243,\"uid\":1000,"
		  "\"comm\":\"evil\\u001b[31m\\\"x\\u000a\",\"exe\":null,\"cgroup_id\":77,"
		  "\"netns\":4026531840,\"netns_name\":\"host\",\"family\":\"ipv4\",\"proto\":\"tcp\","
		  "\"addr\":\"127.0.0.1\",\"port\":10256,\"errno\":\"EPERM\","
		  "\"errno_source\":\"guard\",\"sock\":99,"
		  "\"container\":null}");
	sbuf_free(&sb);

	/* audit: no errno; post_bind; an empty allow list is an empty array */
	r->guard.action = BW_GUARD_AUDIT;
	r->err = 0;
	r->guard.post_bind = 1;
	r->guard.kept_for[0] = 0;
	sbuf_init(&sb);
	output_json(&sb, OUT_RECORD, r);
	CHECK(strstr(sb.buf, "\"action\":\"audit\"") && strstr(sb.buf, "\"errno\":null") &&
	      strstr(sb.buf, "\"hook\":\"post_bind\"") && strstr(sb.buf, "\"kept_for\":[]"),
	      "audit record: %s", sb.buf);
	sbuf_free(&sb);
	r->guard.action = BW_GUARD_ACT_HELD;
	sbuf_init(&sb);
	output_json(&sb, OUT_RECORD, r);
	CHECK(strstr(sb.buf, "\"action\":\"held\"") != NULL, "held record: %s", sb.buf);
	sbuf_free(&sb);
	free(r);
}

static void test_text(void)
{
	struct bw_record *r = guard_record(BW_GUARD_DENY);
	struct sbuf sb;

	sbuf_init(&sb);
	output_text(&sb, OUT_RECORD, r);
	CHECK(strstr(sb.buf, " guard     4242 ") && strstr(sb.buf, " 10256 EPERM guard\n"),
	      "first line: %s", sb.buf);
	CHECK(strstr(sb.buf, "  error guard: 10256/tcp is kept for "
			     "cgroup:/system.slice/kube-proxy.service,uid:0 "
			     "(/etc/bindwatch/guard.conf:3); ") != NULL, "second line: %s", sb.buf);
	CHECK(!strchr(sb.buf, '\x1b'), "an escape reached the terminal: %s", sb.buf);
	sbuf_free(&sb);
	r->guard.action = BW_GUARD_AUDIT;
	sbuf_init(&sb);
	output_text(&sb, OUT_RECORD, r);
	CHECK(strstr(sb.buf, " audit\n") && strstr(sb.buf, "would have been refused (audit)"),
	      "audit text: %s", sb.buf);
	sbuf_free(&sb);
	free(r);
}

/* The watch's own record of a refused bind: EPERM from the guard, not a
 * collision (pair.c decides it; here only how it reads). */
static void test_refused_bind(void)
{
	struct bw_record *r = guard_record(0);
	struct sbuf sb;

	r->ev.kind = BW_EV_BIND;
	r->err = EPERM;
	r->err_guard = 1;
	sbuf_init(&sb);
	output_json(&sb, OUT_RECORD, r);
	CHECK(strstr(sb.buf, "{\"event\":\"bind\",") &&
	      strstr(sb.buf, "\"errno\":\"EPERM\",\"errno_source\":\"guard\""),
	      "refused bind: %s", sb.buf);
	sbuf_free(&sb);
	sbuf_init(&sb);
	output_text(&sb, OUT_RECORD, r);
	CHECK(strstr(sb.buf, " 10256 EPERM guard\n") != NULL, "refused bind text: %s", sb.buf);
	sbuf_free(&sb);
	free(r);
}

/* Guard records reach sinks through the same fan-out as every record. */
static void test_sink(void)
{
	struct bw_record *r = guard_record(BW_GUARD_DENY);
	struct bw_summary sum = { 0 };
	struct bw_sink sk = { 0 };
	char buf[4096] = "";
	FILE *f = tmpfile();
	size_t n;

	CHECK(f && !sink_json__new(f, 0, &sk), "json sink");
	if (!f || !sk.ops) {
		free(r);
		return;
	}
	CHECK(!sinks__record(&sk, 1, r, &sum), "record to the sink");
	sinks__flush(&sk, 1, 1);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	CHECK(!strncmp(buf, "{\"event\":\"guard\",\"action\":\"deny\",",
		       strlen("{\"event\":\"guard\",\"action\":\"deny\",")) &&
	      buf[n - 1] == '\n', "sink line: %s", buf);
	sinks__destroy(&sk, 1);
	fclose(f);
	free(r);
}

/* The guard's ring losses are a gap record of their own kind, never only a
 * warning at exit. */
static void test_gap(void)
{
	struct bw_gap g = { BW_GAP_GUARD_DROPS, 3, 7, 1764316800123456000ull,
			    "guard ring buffer full" };
	struct sbuf sb;

	sbuf_init(&sb);
	output_json(&sb, OUT_GAP, &g);
	CHECK_STR(sb.buf, "{\"event\":\"gap\",\"kind\":\"guard_drops\","
			  "\"ts\":\"2025-11-28T08:00:00.123456Z\",\"count\":3,\"total\":7,"
			  "\"why\":\"guard ring buffer full\"}");
	sbuf_free(&sb);
	sbuf_init(&sb);
	output_text(&sb, OUT_GAP, &g);
	CHECK(strstr(sb.buf, "3 lost (guard_drops, 7 in all)") != NULL, "gap text: %s", sb.buf);
	sbuf_free(&sb);
}

int main(void)
{
	test_gap();
	test_json();
	test_text();
	test_refused_bind();
	test_sink();
	return tap_done("guard_output");
}
