/* Registry parser (every error class, with file:line), lookup, precedence,
 * holder matching, and the embedded default. */
#include <errno.h>
#include <time.h>
#include "registry.h"
#include "tap.h"

static void test_errors(void)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "a 70000/tcp info - d\n", "site.conf:1: port out of range: '70000'" },
		{ "a 0/tcp info - d\n", "site.conf:1: port out of range: '0'" },
		{ "\n# c\na 90-80/tcp info - d\n", "site.conf:3: reversed range 90-80" },
		{ "a 80/tcp info - d\nb 81/xtp info - d\n", "site.conf:2: unknown protocol 'xtp'" },
		{ "a 80 info - d\n", "site.conf:1: port without a protocol" },
		{ "a 80/tcp loud - d\n", "site.conf:1: unknown severity 'loud'" },
		{ "a 80/tcp info -\n", "site.conf:1: missing field" },
		{ "a 80/tcp info - d\na 80/tcp warning x e\n",
		  "site.conf:2: duplicate claim 'a' for 80/tcp (first at line 1)" },
		{ "a 80/tcp info - d\nb 80/t\001cp info - d\n", "site.conf:2: binary data (byte 0x01)" },
		{ "a\0b 80/tcp info - d\n", "site.conf:1: binary data (a NUL byte)" },
		{ "@kind weird\n", "site.conf:1: unknown kind 'weird'" },
		{ "@frobnicate\n", "site.conf:1: unknown directive '@frobnicate'" },
		{ "@kind defacto\na 80/tcp info - d\n", "site.conf:2: a de facto claim needs a source" },
		{ "b@d 80/tcp info - d\n", "site.conf:1: bad service name 'b@d'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct registry *r = registry__new();
		char err[256] = "";
		size_t len = strlen(cases[i].text);
		int ret;

		if (i == 9)
			len = 20;	/* the NUL case: length past the NUL */
		ret = registry__add_text(r, "site.conf", cases[i].text, len, CLAIM_SITE, err,
					 sizeof(err));
		CHECK(ret == -EINVAL, "case %zu: ret %d", i, ret);
		CHECK(!strncmp(err, cases[i].want, strlen(cases[i].want)),
		      "case %zu: got '%s', want '%s...'", i, err, cases[i].want);
		CHECK(registry__count(r) == 0, "case %zu: half a file kept", i);
		registry__free(r);
	}
	{	/* a line too long */
		char text[700];
		struct registry *r = registry__new();
		char err[256] = "";

		memset(text, 'x', sizeof(text));
		memcpy(text, "a 80/tcp info - ", 16);
		text[sizeof(text) - 1] = '\n';
		CHECK(registry__add_text(r, "long.conf", text, sizeof(text), CLAIM_SITE, err,
					 sizeof(err)) == -EINVAL, "long line accepted");
		CHECK(!strncmp(err, "long.conf:1: line longer than 512", 33), "got '%s'", err);
		registry__free(r);
	}
}

static void test_lookup_precedence(void)
{
	const char *iana = "@kind iana\nhttp-alt 8080/tcp info - HTTP Alternate | IANA\n"
			   "nodeportish 30000-32767/udp info - a range | IANA\n";
	const char *defacto = "@kind defacto\nwebpack 8080/tcp info node webpack | https://x\n"
			      "np 30000-32767/tcp/udp info kube-proxy NodePorts | https://y\n"
			      "svc 31000/tcp warning svc* a service in the range | https://z\n";
	const char *site = "nginx-here 8080/tcp error nginx this host's nginx\n";
	struct registry *r = registry__new();
	const struct claim *c[8];
	char err[256] = "";
	size_t n;

	CHECK(!registry__add_text(r, "iana.conf", iana, strlen(iana), CLAIM_SITE, err, sizeof(err)), "%s", err);
	CHECK(!registry__add_text(r, "d.conf", defacto, strlen(defacto), CLAIM_SITE, err, sizeof(err)), "%s", err);
	CHECK(!registry__add_text(r, "s.conf", site, strlen(site), CLAIM_SITE, err, sizeof(err)), "%s", err);
	CHECK(!registry__finish(r), "finish");
	n = registry__lookup(r, 8080, PROTO_TCP, c, 8);
	CHECK(n == 3, "8080: %zu claims", n);
	CHECK(n == 3 && c[0]->kind == CLAIM_SITE && c[1]->kind == CLAIM_DEFACTO &&
	      c[2]->kind == CLAIM_IANA, "8080: not site > defacto > iana");
	n = registry__lookup(r, 31000, PROTO_TCP, c, 8);
	CHECK(n == 2, "31000/tcp: %zu claims (range + single)", n);
	n = registry__lookup(r, 31000, PROTO_UDP, c, 8);
	CHECK(n == 2, "31000/udp: %zu claims (two ranges)", n);
	n = registry__lookup(r, 32768, 0, c, 8);
	CHECK(n == 0, "32768: %zu claims past the range", n);
	n = registry__lookup(r, 29999, 0, c, 8);
	CHECK(n == 0, "29999: %zu claims before the range", n);
	n = registry__lookup(r, 30000, PROTO_TCP, c, 8);
	CHECK(n == 1 && !strcmp(c[0]->name, "np"), "30000: range start");
	n = registry__lookup(r, 32767, PROTO_UDP, c, 8);
	CHECK(n == 2, "32767: range end, %zu", n);
	n = registry__lookup(r, 8080, PROTO_TCP, c, 8);
	CHECK(claim_holder_matches(c[0], "nginx", "/usr/sbin/nginx"), "nginx by comm");
	CHECK(!claim_holder_matches(c[0], "myapp", "/opt/myapp"), "myapp matched nginx");
	n = registry__lookup(r, 31000, PROTO_TCP, c, 8);
	CHECK(n == 2 && !strcmp(c[1]->name, "svc"), "31000: file order within a layer");
	if (n == 2) {
		CHECK(claim_holder_matches(c[1], "svc-worker", ""), "glob on comm");
		CHECK(claim_holder_matches(c[1], "x", "/usr/bin/svcd"), "glob on exe basename");
	}
	registry__free(r);
}

static void test_embedded(void)
{
	static const struct { unsigned short port; const char *name; } seeds[] = {
		{ 10256, "kube-proxy-healthz" }, { 10256, "laserfiche-eventhub" },
		{ 10397, "wso2-thrift" }, { 60610, "bluesky-queueserver-http" },
		{ 10300, "wyoming-faster-whisper" }, { 10300, "viz-world-allocator" },
	};
	struct registry *r = registry__new();
	const struct claim *c[8];
	char err[256] = "";
	struct timespec t0, t1;
	size_t defacto = 0;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(!registry__add_embedded(r, err, sizeof(err)), "embedded: %s", err);
	CHECK(!registry__finish(r), "finish");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("embedded registry: %zu claims loaded in %.2f ms\n", registry__count(r), ms);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t n = registry__lookup(r, seeds[i].port, PROTO_TCP, c, 8), k;

		for (k = 0; k < n && strcmp(c[k]->name, seeds[i].name); k++)
			;
		CHECK(k < n, "seed %u %s missing", seeds[i].port, seeds[i].name);
	}
	for (size_t i = 0; i < registry__count(r); i++)
		defacto += registry__at(r, i)->kind == CLAIM_DEFACTO;
	CHECK(defacto >= 150, "only %zu de facto claims", defacto);
	CHECK(registry__count(r) - defacto > 5000, "IANA part missing");
	registry__lookup(r, 80, PROTO_TCP, c, 8);
	CHECK(c[0]->kind == CLAIM_IANA && !strcmp(c[0]->name, "http"), "80/tcp is not IANA http");
	registry__free(r);
}

int main(void)
{
	test_errors();
	test_lookup_precedence();
	test_embedded();
	return tap_done("test_registry");
}
