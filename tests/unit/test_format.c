/* JSON escaping, terminal neutralising, record formatting, errno inference. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "flag.h"
#include "infer.h"
#include "json_writer.h"
#include "registry.h"
#include "output.h"
#include "parse.h"
#include "tap.h"

static void test_json_str(void)
{
	static const struct { const char *in; size_t n; const char *want; } cases[] = {
		{ "plain", 16, "\"plain\"" },
		{ "q\"b\\s", 16, "\"q\\\"b\\\\s\"" },
		{ "esc\x1b[31m", 16, "\"esc\\u001b[31m\"" },
		{ "nl\ntab\t", 16, "\"nl\\u000atab\\u0009\"" },
		{ "del\x7f", 16, "\"del\\u007f\"" },
		{ "caf\xc3\xa9", 16, "\"caf\xc3\xa9\"" },		/* valid UTF-8 kept */
		{ "bad\xff\xfe", 16, "\"bad\\u00ff\\u00fe\"" },		/* invalid bytes escaped */
		{ "cut\xc3", 16, "\"cut\\u00c3\"" },			/* truncated sequence */
		{ "over\xc0\xaf", 16, "\"over\\u00c0\\u00af\"" },	/* overlong */
		{ "sixteenbytes!!!!MORE", 16, "\"sixteenbytes!!!!\"" },	/* no NUL: bounded */
		{ "", 16, "\"\"" },
		/* valid UTF-8 that terminals and viewers act on: escaped */
		{ "csi\xc2\x9b" "2J", 16, "\"csi\\u009b2J\"" },		/* U+009B CSI */
		{ "rlo\xe2\x80\xae" "gpj", 16, "\"rlo\\u202egpj\"" },	/* U+202E */
		{ "iso\xe2\x81\xa6", 16, "\"iso\\u2066\"" },		/* U+2066 */
		{ "ls\xe2\x80\xa8", 16, "\"ls\\u2028\"" },		/* U+2028 */
		{ "ok\xe2\x80\x94", 16, "\"ok\xe2\x80\x94\"" },	/* U+2014 kept */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf sb;

		sbuf_init(&sb);
		sbuf_json_str(&sb, cases[i].in, cases[i].n);
		CHECK_STR(sb.buf, cases[i].want);
		sbuf_free(&sb);
	}
}

static void test_term_str(void)
{
	static const struct { const char *in; const char *want; } cases[] = {
		{ "nginx", "nginx" },
		{ "a\x1b[2Jb", "a\\x1b[2Jb" },
		{ "back\\slash", "back\\\\slash" },
		{ "\r\n", "\\x0d\\x0a" },
		{ "hi\xc3\xa9", "hi\\xc3\\xa9" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf sb;

		sbuf_init(&sb);
		sbuf_term_str(&sb, cases[i].in, 64);
		sbuf_putc(&sb, 0);
		CHECK_STR(sb.buf, cases[i].want);
		sbuf_free(&sb);
	}
}

static void test_parse(void)
{
	static const struct { const char *in; int allow0; int err; unsigned short v; } cases[] = {
		{ "1", 0, 0, 1 }, { "65535", 0, 0, 65535 }, { "65536", 0, -ERANGE, 0 },
		{ "0", 0, -ERANGE, 0 }, { "0", 1, 0, 0 }, { "-1", 0, -EINVAL, 0 },
		{ "+5", 0, -EINVAL, 0 }, { " 5", 0, -EINVAL, 0 }, { "5 ", 0, -EINVAL, 0 },
		{ "80x", 0, -EINVAL, 0 }, { "", 0, -EINVAL, 0 },
		{ "99999999999999999999999", 0, -ERANGE, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned short v = 0;
		int err = parse_port(cases[i].in, cases[i].allow0, &v);

		CHECK(err == cases[i].err && (err || v == cases[i].v),
		      "parse_port('%s') = %d (%u), want %d (%u)", cases[i].in, err, v,
		      cases[i].err, cases[i].v);
	}
}

static struct bw_record sample(void)
{
	struct bw_record r;

	memset(&r, 0, sizeof(r));
	r.ev.kind = BW_EV_BIND;
	r.ev.pid = 4242;
	r.ev.tid = 4243;
	r.ev.uid = 1000;
	r.ev.netns = 4026531840u;
	r.ev.cgroup_id = 77;
	r.ev.family = AF_INET;
	r.ev.proto = IPPROTO_TCP;
	r.ev.port = 10397;
	r.ev.req_port = 10397;
	r.ev.opts = BW_OPT_REUSEADDR | BW_OPT_V6ONLY;
	r.ev.cookie = 99;
	r.ev.addr[0] = 127;
	r.ev.addr[3] = 1;
	memcpy(r.ev.comm, "late\x1b" "comer", 11);
	r.ts_real_ns = 1795086141123456789ull;	/* 2026-11-19T11:02:21.123456Z */
	r.err = EADDRINUSE;
	r.err_inferred = 1;
	return r;
}

static void test_json_record(void)
{
	struct bw_record r = sample();
	struct sbuf sb;

	sbuf_init(&sb);
	output_json_record(&sb, &r);
	CHECK_STR(sb.buf,
		  "{\"event\":\"bind\",\"ts\":\"2026-11-19T11:02:21.123456Z\",\"pid\":4242,"
		  "\"tid\":4243,\"uid\":1000,\"comm\":\"late\\u001bcomer\",\"exe\":null,"
		  "\"cgroup_id\":77,\"netns\":4026531840,\"family\":\"ipv4\",\"proto\":\"tcp\","
		  "\"addr\":\"127.0.0.1\",\"port\":10397,\"requested_port\":10397,"
		  "\"opts\":[\"reuseaddr\",\"v6only\"],\"errno\":\"EADDRINUSE\","
		  "\"errno_source\":\"inferred\",\"ret\":-98,\"sock\":99,\"holders\":[],"
		  "\"flags\":[],\"container\":null}");
	sbuf_free(&sb);
}

/* Issue 11: flag kinds and severities are enums with one names table read
 * both ways; the NDJSON and the text keep the names they always had. */
static void test_flag_names(void)
{
	static const char *const kinds[] = { "collision", "claim", "ephemeral_steal",
					     "reuseport_shared", "dualstack", "ephemeral" };
	static const char *const sevs[] = { "info", "warning", "error" };
	struct bw_record r = sample();
	struct bw_flag *f;
	struct sbuf sb;

	CHECK(sizeof(kinds) / sizeof(kinds[0]) == BW_FLAG_KIND_COUNT, "a kind without a test");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int k = flag_kind_from_name(kinds[i]);

		CHECK(k >= 0 && !strcmp(flag_kind_name((enum bw_flag_kind)k), kinds[i]),
		      "kind %s does not read back", kinds[i]);
	}
	for (size_t i = 0; i < sizeof(sevs) / sizeof(sevs[0]); i++) {
		int v = severity_from_name(sevs[i]);

		CHECK(v >= 0 && !strcmp(severity_name((enum bw_severity)v), sevs[i]),
		      "severity %s does not read back", sevs[i]);
	}
	CHECK(flag_kind_from_name("Collision") == -EINVAL, "kind names are exact");
	CHECK(severity_from_name("warn") == -EINVAL, "severity names are exact");
	CHECK_STR(flag_kind_name((enum bw_flag_kind)BW_FLAG_KIND_COUNT), "unknown");
	CHECK_STR(severity_name((enum bw_severity)BW_SEV_COUNT), "unknown");

	f = flag__add(&r, BW_FLAG_REUSEPORT_SHARED, BW_SEV_WARNING, "web");
	snprintf(f->message, sizeof(f->message), "shared");
	sbuf_init(&sb);
	output_json_record(&sb, &r);
	sbuf_putc(&sb, 0);
	CHECK(strstr(sb.buf, "\"flags\":[{\"kind\":\"reuseport_shared\",\"severity\":"
			     "\"warning\",\"service\":\"web\",\"message\":\"shared\"}]") != NULL,
	      "flag JSON: %s", sb.buf);
	sbuf_free(&sb);
	sbuf_init(&sb);
	output_text_record(&sb, &r);
	sbuf_putc(&sb, 0);
	CHECK(strstr(sb.buf, "  warning reuseport_shared: shared\n") != NULL, "flag text: %s",
	      sb.buf);
	sbuf_free(&sb);
}

/* Issue 11: container_json and claim_json write through the one JSON writer;
 * the expected bytes are what the hand-written versions printed (run on
 * 310b12b), so the move changed nothing a reader parses. */
static void test_container_claim_json(void)
{
	struct claim cl = { 8000, 8010, PROTO_TCP | PROTO_UDP, CLAIM_SITE, BW_SEV_ERROR,
			    "web\"x", "nginx,*@gunicorn", "desc \x1b", "", "f.conf", 7 };
	struct container_info c;
	struct sbuf sb;
	struct jw w;

	memset(&c, 0, sizeof(c));
	strcpy(c.runtime, "docker");
	strcpy(c.id, "abc");
	strcpy(c.name, "we\"b\n");
	strcpy(c.cgroup, "/docker/abc");
	strcpy(c.source, "docker-proxy -container-ip");
	strcpy(c.proxy_ip, "172.17.0.2");
	c.proxy_port = 80;
	sbuf_init(&sb);
	jw_init(&w, &sb);
	jw_start_array(&w);
	container_json(&w, &c);
	container_json(&w, NULL);
	claim_json(&w, &cl);
	jw_end_array(&w);
	sbuf_putc(&sb, 0);
	CHECK_STR(sb.buf,
		  "[{\"runtime\":\"docker\",\"id\":\"abc\",\"name\":\"we\\\"b\\u000a\","
		  "\"pod_uid\":null,\"pod\":null,\"qos\":null,\"unit\":null,"
		  "\"cgroup\":\"/docker/abc\",\"source\":\"docker-proxy -container-ip\","
		  "\"proxy_for\":{\"ip\":\"172.17.0.2\",\"port\":80}},null,"
		  "{\"service\":\"web\\\"x\",\"ports\":\"8000-8010\",\"protos\":\"tcp/udp\","
		  "\"kind\":\"site\",\"severity\":\"error\",\"holders\":\"nginx,*@gunicorn\","
		  "\"description\":\"desc \\u001b\",\"source\":\"\",\"file\":\"f.conf\","
		  "\"line\":7}]");
	sbuf_free(&sb);
}

static void test_text_record(void)
{
	struct bw_record r = sample();
	struct sbuf sb;
	char *nl;

	sbuf_init(&sb);
	output_text_record(&sb, &r);
	CHECK(!strchr(sb.buf, '\x1b'), "raw ESC on the terminal: %s", sb.buf);
	CHECK(strstr(sb.buf, "late\\x1bcom") != NULL, "comm not neutralised: %s", sb.buf);
	CHECK(strstr(sb.buf, "EADDRINUSE?") != NULL, "inferred errno not marked: %s", sb.buf);
	nl = strchr(sb.buf, '\n');
	CHECK(nl && nl - sb.buf < 80, "line of %ld columns: %s", nl ? (long)(nl - sb.buf) : -1L,
	      sb.buf);
	sbuf_reset(&sb);
	output_text_header(&sb);
	CHECK(strlen(sb.buf) < 80, "header of %zu columns", strlen(sb.buf));
	sbuf_free(&sb);
}

/* The COMM column is cut between escapes, never inside one ("\xf"). */
static void test_text_comm_column(void)
{
	struct bw_record r = sample(), plain = sample();
	struct sbuf sb, sp;
	const char *proto, *proto_plain;

	memset(r.ev.comm, 0, sizeof(r.ev.comm));
	memcpy(r.ev.comm, "\xff\xfe\xfd\xfc", 4);
	memcpy(plain.ev.comm, "plain", 6);
	sbuf_init(&sb);
	sbuf_init(&sp);
	output_text_record(&sb, &r);
	output_text_record(&sp, &plain);
	CHECK(strstr(sb.buf, "\\xff\\xfe ") != NULL, "COMM not cut between escapes: %s", sb.buf);
	CHECK(strstr(sb.buf, "\\xff\\xfe\\xf") == NULL, "COMM splits an escape: %s", sb.buf);
	proto = strstr(sb.buf, "tcp4");
	proto_plain = strstr(sp.buf, "tcp4");
	CHECK(proto && proto_plain && proto - sb.buf == proto_plain - sp.buf,
	      "columns moved: %s / %s", sb.buf, sp.buf);
	sbuf_free(&sb);
	sbuf_free(&sp);
}

/* issue 12 item 10: a bind whose answer may be among dropped events */
static void test_undecided_record(void)
{
	struct bw_record r = sample();
	struct sbuf sb;

	r.err = 0;
	r.err_inferred = 0;
	r.undecided = 1;
	sbuf_init(&sb);
	CHECK(output_json_record(&sb, &r) == 0, "render");
	CHECK(strstr(sb.buf, "\"errno\":null,\"outcome\":\"unknown\",\"ret\":0") != NULL,
	      "undecided not said: %s", sb.buf);
	sbuf_reset(&sb);
	output_text_record(&sb, &r);
	CHECK(strstr(sb.buf, "unknown") && !strstr(sb.buf, " ok"), "text: %s", sb.buf);
	sbuf_free(&sb);
}

static void test_infer(void)
{
	struct bw_event e;

	memset(&e, 0, sizeof(e));
	e.req_port = 80;
	CHECK(infer_bind_errno(&e, 0, 1024, 1) == EACCES, "port 80 without cap");
	CHECK(infer_bind_errno(&e, 1, 1024, 1) == EADDRINUSE, "port 80 with cap");
	e.req_port = 8080;
	CHECK(infer_bind_errno(&e, 0, 1024, 0) == EADDRNOTAVAIL, "foreign address");
	e.opts = BW_OPT_FREEBIND;
	CHECK(infer_bind_errno(&e, 0, 1024, 0) == EADDRINUSE, "freebind allows foreign");
	e.opts = 0;
	CHECK(infer_bind_errno(&e, 0, 1024, -1) == EADDRINUSE, "unknown locality");
	CHECK(infer_bind_errno(&e, 0, 0, 1) == EADDRINUSE, "unprivileged start 0");
}

static void test_format_who(void)
{
	char buf[64], comm[BW_COMM_LEN];

	format_who("ev\x1b[31m", 42, buf, sizeof(buf));
	CHECK_STR(buf, "ev?[31m[42]");
	memset(comm, 'x', sizeof(comm));	/* no NUL: cut at BW_COMM_LEN - 1 */
	format_who(comm, 7, buf, sizeof(buf));
	CHECK_STR(buf, "xxxxxxxxxxxxxxx[7]");
	format_who("", 0, buf, sizeof(buf));
	CHECK_STR(buf, "an unknown process");
}

/* jw_ts() (by hand) against gmtime_r() + strftime(), across leap days,
 * century years and the epoch; addr_str()'s IPv4 against inet_ntop(). */
static void test_ts_and_addr(void)
{
	static const unsigned long long secs[] = {
		0, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800,
		4107542400ULL /* 2100-03-01 */, 4107456000ULL, 1795824000 /* 2026-11-28 */,
		1709164799 /* 2024-02-28T23:59:59 */, 1709251200,
		18446744073ULL /* 2554-07-21: the last second a __u64 of ns holds */,
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]) + 2000; i++) {
		unsigned long long s = i < sizeof(secs) / sizeof(secs[0]) ? secs[i] :
			(unsigned long long)(i * 7919ULL * 86400 + i * 3607) % 18446744073ULL;
		__u64 ns = s * 1000000000ULL + (i * 123457ULL) % 1000000000ULL;
		time_t t = (time_t)s;
		struct tm tm;
		char want[64], got[64];
		struct sbuf sb;
		struct jw w;

		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "\"%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + strlen(want), sizeof(want) - strlen(want), ".%06lluZ\"",
			 (unsigned long long)(ns % 1000000000ULL / 1000));
		sbuf_init(&sb);
		jw_init(&w, &sb);
		jw_ts(&w, ns);
		sbuf_putc(&sb, 0);
		snprintf(got, sizeof(got), "%s", sb.buf ? sb.buf : "");
		sbuf_free(&sb);
		if (strcmp(got, want) && bad++ < 3)
			CHECK_STR(got, want);
	}
	CHECK(bad == 0, "%d timestamps differ from strftime", bad);
	for (unsigned int v = 0; v < 256 * 7; v += 7) {
		__u8 a[16] = { (__u8)v, (__u8)(v * 3), (__u8)(255 - v), (__u8)(v / 7) };
		char got[64], want[64];

		addr_str(AF_INET, a, got, sizeof(got));
		inet_ntop(AF_INET, a, want, sizeof(want));
		if (strcmp(got, want)) {
			CHECK_STR(got, want);
			break;
		}
	}
	{
		__u8 a[16] = { 255, 255, 255, 255 };
		char small[15];

		addr_str(AF_INET, a, small, sizeof(small));
		CHECK_STR(small, "?");
	}
}

int main(void)
{
	test_ts_and_addr();
	test_format_who();
	test_json_str();
	test_term_str();
	test_parse();
	test_json_record();
	test_text_record();
	test_flag_names();
	test_container_claim_json();
	test_text_comm_column();
	test_undecided_record();
	test_infer();
	return tap_done("test_format");
}
