/* Sinks: a record is whole or not written (with a gap), the one JSON writer,
 * syslog priority from fields, the sealed log never holding half a record. */
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include "json_writer.h"
#include "logfile.h"
#include "output.h"
#include "sinks.h"
#include "tap.h"

static struct bw_record sample(void)
{
	struct bw_record r;

	memset(&r, 0, sizeof(r));
	r.ev.kind = BW_EV_BIND;
	r.ev.pid = 4242;
	r.ev.family = AF_INET;
	r.ev.proto = 6;
	r.ev.port = 10397;
	memcpy(r.ev.comm, "comer", 6);
	r.ts_real_ns = 1795086141123456789ull;
	return r;
}

static char *slurp(FILE *f)
{
	static char buf[65536];
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	return buf;
}

static void test_json_writer(void)
{
	struct sbuf sb;
	struct jw w;

	sbuf_init(&sb);
	jw_init(&w, &sb);
	jw_start_object(&w);
	jw_uint_field(&w, "a", 1);
	jw_name(&w, "b");
	jw_start_array(&w);
	jw_uint(&w, 2);
	jw_start_object(&w);
	jw_end_object(&w);
	jw_null(&w);
	jw_end_array(&w);
	jw_name(&w, "c\"");
	jw_string(&w, "x\x1b");
	jw_bool_field(&w, "d", 0);
	jw_end_object(&w);
	CHECK_STR(sb.buf, "{\"a\":1,\"b\":[2,{},null],\"c\\\"\":\"x\\u001b\",\"d\":false}");
	sbuf_free(&sb);
}

/* A record too big for the buffer is refused whole; the stream keeps the
 * records before it and gets a gap line instead; the summary counts it. */
static void test_json_sink_gap(void)
{
	FILE *f = tmpfile();
	struct bw_record r = sample();
	struct bw_summary sum = { 0 };
	struct bw_sink s;
	char *out;

	if (!f || sink_json__new(f, 600, &s)) {
		CHECK(0, "set up");
		return;
	}
	CHECK(sinks__record(&s, 1, &r, &sum) == 0, "small record");
	r.nflags = 1;
	r.flags[0].kind = BW_FLAG_COLLISION;
	r.flags[0].severity = BW_SEV_ERROR;
	memset(r.flags[0].message, 'm', 500);
	CHECK(sinks__record(&s, 1, &r, &sum) == 0, "a refused record is not an error");
	CHECK(sum.unrendered == 1, "unrendered %llu", (unsigned long long)sum.unrendered);
	CHECK(sinks__flush(&s, 1, 1) == 0, "flush");
	out = slurp(f);
	CHECK(strstr(out, "\"port\":10397") != NULL, "first record lost: %s", out);
	CHECK(strstr(out, "mmmm") == NULL, "part of the refused record written: %s", out);
	CHECK(strstr(out, "\"event\":\"gap\",\"kind\":\"unrendered\"") != NULL,
	      "no gap line: %s", out);
	/* every line is whole: it ends with "}\n" */
	for (char *l = out, *nl; (nl = strchr(l, '\n')); l = nl + 1)
		CHECK(nl > l && nl[-1] == '}', "cut line: %.*s", (int)(nl - l), l);
	sinks__destroy(&s, 1);
	fclose(f);
}

/* Issue 11/12: a record cut short by a failed allocation was sealed into the
 * forensic log.  Now the log holds a gap record and no part of it. */
static void test_log_sink_whole(void)
{
	char dir[] = "/tmp/bw-sinktest-XXXXXX", path[128], cmd[160], *out;
	struct logw_opts lo = { dir, 1000, 1000, 1 << 20, 2, NULL, 0 };
	struct bw_record r = sample();
	struct bw_summary sum = { 0 };
	struct logw *w = NULL;
	struct bw_sink s;
	FILE *f;

	if (!mkdtemp(dir) || logw__open(&lo, &w) || sink_log__new(w, 600, &s)) {
		CHECK(0, "set up %s", dir);
		return;
	}
	r.nflags = 1;
	r.flags[0].kind = BW_FLAG_COLLISION;
	r.flags[0].severity = BW_SEV_ERROR;
	memset(r.flags[0].message, 'm', 500);
	sinks__record(&s, 1, &r, &sum);
	sinks__flush(&s, 1, 1);
	sinks__destroy(&s, 1);
	logw__close(w);
	snprintf(path, sizeof(path), "%s/%s", dir, LOG_LIVE);
	f = fopen(path, "r");
	out = f ? slurp(f) : "";
	CHECK(strstr(out, "mmmm") == NULL, "half a record sealed: %s", out);
	CHECK(strstr(out, "\"kind\":\"unrendered\"") != NULL, "no gap record: %s", out);
	if (f)
		fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		CHECK(0, "clean up %s", dir);
}

static void test_syslog_priority(void)
{
	struct bw_record r = sample();

	CHECK(sink_syslog__priority(&r) == LOG_INFO, "success");
	r.err = EADDRINUSE;
	CHECK(sink_syslog__priority(&r) == LOG_WARNING, "failure");
	r.err = 0;
	r.nflags = 1;
	r.flags[0].severity = BW_SEV_WARNING;
	/* a message that merely mentions the word does not raise it */
	strcpy(r.flags[0].message, "\"severity\":\"error\"");
	CHECK(sink_syslog__priority(&r) == LOG_INFO, "warning flag");
	r.flags[0].severity = BW_SEV_ERROR;
	CHECK(sink_syslog__priority(&r) == LOG_WARNING, "error flag");
}

/* The ready record lists what the agent attached. */
static void test_ready_hooks(void)
{
	static const char *const hooks[] = { "cg_bind4", "connect_watch", NULL };
	struct bw_ready rd = { "cgroup", "1.2.3", hooks, 0 };
	struct sbuf sb;

	sbuf_init(&sb);
	CHECK(output_json_ready(&sb, &rd) == 0, "render");
	CHECK_STR(sb.buf, "{\"event\":\"ready\",\"backend\":\"cgroup\",\"version\":\"1.2.3\","
			  "\"hooks\":[\"cg_bind4\",\"connect_watch\"]}");
	sbuf_free(&sb);
}

int main(void)
{
	test_json_writer();
	test_json_sink_gap();
	test_log_sink_whole();
	test_syslog_priority();
	test_ready_hooks();
	return tap_done("test_sinks");
}
