/* Expected holders by command line: interpreted services named by their
 * module or script, not by the interpreter (registry/README.md). */
#include <string.h>
#include "registry.h"
#include "tap.h"

#define CMD(s) s, sizeof(s)	/* a /proc/PID/cmdline: words NUL-separated */

int main(void)
{
	static const struct {
		const char *cmd;
		size_t len;
		const char *prog;	/* NULL: none */
	} progs[] = {
		{ CMD("python3\0-m\0wyoming_faster_whisper\0--uri\0tcp://0.0.0.0:10300"),
		  "wyoming_faster_whisper" },
		{ CMD("python3\0-u\0-W\0ignore\0-mwyoming_piper\0"), "wyoming_piper" },
		{ CMD("/usr/bin/python3\0/usr/local/bin/start-bluesky-httpserver\0--port\0x"),
		  "start-bluesky-httpserver" },
		{ CMD("python3\0manage.py\0runserver\0" "60610"), "manage.py" },
		{ CMD("python3\0-c\0import wyoming"), NULL },
		{ CMD("python3"), NULL },
	};
	struct registry *r = registry__new();
	const struct claim *c[8];
	char prog[64], err[256] = "";
	size_t n;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		int ret = claim_program_of(progs[i].cmd, progs[i].len - 1, prog, sizeof(prog));

		if (progs[i].prog) {
			CHECK(ret == 0, "no program in case %zu", i);
			CHECK_STR(prog, progs[i].prog);
		} else {
			CHECK(ret != 0, "a program found in case %zu: %s", i, prog);
		}
	}
	CHECK(r && !registry__add_embedded(r, err, sizeof(err)) && !registry__finish(r),
	      "embedded registry: %s", err);
	n = r ? registry__lookup(r, 60610, PROTO_TCP, c, 8) : 0;
	CHECK(n >= 1 && !strcmp(c[0]->name, "bluesky-queueserver-http"), "60610 claim");
	if (n >= 1) {
		static const char django[] = "python3\0manage.py\0runserver\0" "60610";
		static const char real[] = "/usr/bin/python3\0/usr/local/bin/start-bluesky-httpserver";
		static const char mod[] = "python3.11\0-m\0bluesky_httpserver\0";

		CHECK(!claim_holder_matches_cmdline(c[0], "python3", "/usr/bin/python3.11",
						    django, sizeof(django) - 1),
		      "a Django dev server passes as the Queue Server");
		CHECK(claim_holder_matches_cmdline(c[0], "start-bluesky-h", "/usr/bin/python3.11",
						   real, sizeof(real) - 1), "console script");
		CHECK(claim_holder_matches_cmdline(c[0], "python3.11", "/usr/bin/python3.11",
						   mod, sizeof(mod) - 1), "python -m module");
		CHECK(!claim_holder_matches_cmdline(c[0], "python3", "/usr/bin/python3.11", NULL, 0),
		      "python without a command line passes");
	}
	n = r ? registry__lookup(r, 10300, PROTO_TCP, c, 8) : 0;
	CHECK(n >= 1 && !strcmp(c[0]->name, "wyoming-faster-whisper"), "10300 claim");
	if (n >= 1) {
		static const char wy[] = "python3\0-m\0wyoming_faster_whisper\0--uri\0tcp://x";
		static const char other[] = "python3\0-m\0http.server\0" "10300";

		CHECK(claim_holder_matches_cmdline(c[0], "python3", "/usr/bin/python3", wy,
						   sizeof(wy) - 1), "Wyoming by module");
		CHECK(!claim_holder_matches_cmdline(c[0], "python3", "/usr/bin/python3", other,
						    sizeof(other) - 1), "http.server passes as Wyoming");
	}
	registry__free(r);
	return tap_done("test_holders");
}
