/* The guard's policy parser: every error class with its FILE:LINE, the forms
 * that parse, lookup by port, and cgroup resolution against a fake root. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "policy.h"
#include "tap.h"

static void test_errors(void)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "70000/tcp uid:0\n", "p.conf:1: bad port '70000' (1 to 65535)" },
		{ "0/tcp uid:0\n", "p.conf:1: bad port '0' (1 to 65535)" },
		{ "80x/tcp uid:0\n", "p.conf:1: bad port '80x' (1 to 65535)" },
		{ "+80/tcp uid:0\n", "p.conf:1: bad port '+80' (1 to 65535)" },
		{ "# c\n\n90-80/tcp uid:0\n", "p.conf:3: reversed range 90-80" },
		{ "80-/tcp uid:0\n", "p.conf:1: bad port '' (1 to 65535)" },
		{ "80 uid:0\n", "p.conf:1: '80' has no protocol (PORT[-PORT]/tcp or /udp)" },
		{ "80/sctp uid:0\n", "p.conf:1: unknown protocol 'sctp' (tcp or udp)" },
		{ "80/tcp\n", "p.conf:1: no one is allowed: add uid:N" },
		{ "80/tcp # only a comment\n", "p.conf:1: no one is allowed" },
		{ "80/tcp uid:-1\n", "p.conf:1: bad uid '-1'" },
		{ "80/tcp uid:4294967295\n", "p.conf:1: bad uid '4294967295'" },
		{ "80/tcp uid:\n", "p.conf:1: 'uid:' is not KIND:VALUE" },
		{ "80/tcp root\n", "p.conf:1: 'root' is not KIND:VALUE" },
		{ "80/tcp gid:0\n", "p.conf:1: unknown identity 'gid' (uid, user, cgroup, unit, comm)" },
		{ "80/tcp user:no-such-user-here\n", "p.conf:1: unknown user 'no-such-user-here'" },
		{ "80/tcp cgroup:system.slice\n",
		  "p.conf:1: cgroup path 'system.slice' must start with '/'" },
		{ "80/tcp cgroup:/a/../b\n", "p.conf:1: cgroup path '/a/../b' has an empty, '.' or '..' part" },
		{ "80/tcp cgroup:/a//b\n", "p.conf:1: cgroup path '/a//b' has an empty" },
		{ "80/tcp cgroup:/a/..\n", "p.conf:1: cgroup path '/a/..' has an empty" },
		{ "80/tcp unit:../x.service\n", "p.conf:1: bad unit name '../x.service'" },
		{ "80/tcp unit:kube-proxy\n", "p.conf:1: bad unit name 'kube-proxy'" },
		{ "80/tcp comm:abcdefghijklmnop\n",
		  "p.conf:1: comm 'abcdefghijklmnop' longer than 15 bytes" },
		{ "80/tcp comm:a,comm:b,comm:c,comm:d,comm:e\n",
		  "p.conf:1: more than 4 comms in one rule" },
		{ "80/tcp uid:1 uid:2 uid:3 uid:4 uid:5 uid:6 uid:7 uid:8 uid:9\n",
		  "p.conf:1: more than 8 uids in one rule" },
		{ "80/tcp uid:0\n81/udp uid:0\n# x\n70-90/tcp uid:1\n",
		  "p.conf:4: 80/tcp is already guarded by line 1" },
		{ "100-200/udp uid:0\n150/udp uid:0\n", "p.conf:2: 150/udp is already guarded by line 1" },
		{ "80/tcp uid:0\n81/tcp uid:0 \001\n", "p.conf:2: '\001' is not KIND:VALUE" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy *p = NULL;
		char err[256] = "";
		int ret = policy__parse("p.conf", cases[i].text, strlen(cases[i].text), &p, err,
					sizeof(err));

		CHECK(ret == -EINVAL, "case %zu (%s): ret %d", i, cases[i].text, ret);
		CHECK(!strncmp(err, cases[i].want, strlen(cases[i].want)),
		      "case %zu: got '%s', want '%s...'", i, err, cases[i].want);
		CHECK(!p, "case %zu: a policy came back with an error", i);
		policy__free(p);
	}
	{	/* a NUL byte, and a line too long */
		struct policy *p = NULL;
		char err[256] = "", text[1200];

		CHECK(policy__parse("p.conf", "80/tcp uid:0\n8\0/tcp uid:0\n", 26, &p, err,
				    sizeof(err)) == -EINVAL, "NUL accepted");
		CHECK_STR(err, "p.conf:2: binary data (a NUL byte)");
		memset(text, ' ', sizeof(text));
		memcpy(text, "80/tcp uid:0", 12);
		CHECK(policy__parse("p.conf", text, sizeof(text), &p, err, sizeof(err)) == -EINVAL,
		      "long line accepted");
		CHECK_STR(err, "p.conf:1: line longer than 1024 bytes");
	}
	{	/* 257 rules */
		size_t cap = 300 * 24, len = 0;
		char *text = malloc(cap), err[256] = "";
		struct policy *p = NULL;

		for (int i = 1; i <= 257; i++)
			len += (size_t)snprintf(text + len, cap - len, "%d/tcp uid:0\n", i);
		CHECK(policy__parse("p.conf", text, len, &p, err, sizeof(err)) == -EINVAL,
		      "257 rules accepted");
		CHECK_STR(err, "p.conf:257: more than 256 rules");
		free(text);
	}
	{	/* a file that is not there */
		struct policy *p = NULL;
		char err[256] = "";

		CHECK(policy__load("/nonexistent/policy.conf", &p, err, sizeof(err)) == -ENOENT,
		      "missing file");
		CHECK_STR(err, "/nonexistent/policy.conf: No such file or directory");
	}
	{	/* a FIFO is refused at once: a SIGHUP reload must never block */
		struct policy *p = NULL;
		char dir[] = "/tmp/bw-ut-policy-XXXXXX", path[64], err[256] = "";

		if (mkdtemp(dir)) {
			snprintf(path, sizeof(path), "%s/fifo", dir);
			CHECK(!mkfifo(path, 0600), "mkfifo");
			CHECK(policy__load(path, &p, err, sizeof(err)) == -EINVAL && !p,
			      "a FIFO as the policy");
			CHECK(strstr(err, ": not a regular file") != NULL, "FIFO error: %s", err);
			unlink(path);
			rmdir(dir);
		}
	}
}

static void test_forms(void)
{
	const char *text =
		"# kube-proxy's healthz port, for its cgroup and root\n"
		"\n"
		"10256/tcp cgroup:/kubepods.slice/kube-proxy, uid:0   # trailing comment\n"
		"  30000-30010/udp\tuid:1000,uid:1001 comm:dnsmasq\n"
		"53/udp user:root,unit:systemd-resolved.service\n"
		"53/tcp cgroup:/a/b/ comm:exactly15bytesx\r\n"
		"65535/tcp uid:4294967294";
	struct policy *p = NULL;
	char err[256] = "";
	const struct policy_rule *r;

	CHECK(!policy__parse("g.conf", text, strlen(text), &p, err, sizeof(err)),
	      "parse: %s", err);
	if (!p)
		return;
	CHECK(p->n == 5, "rules: %zu", p->n);
	r = &p->rules[0];
	CHECK(r->line == 3 && r->port_lo == 10256 && r->port_hi == 10256 &&
	      r->proto == IPPROTO_TCP, "rule 0 head");
	CHECK(r->n_cgroup == 1 && r->n_uid == 1 && r->uid[0] == 0 && r->n_comm == 0,
	      "rule 0 ids");
	CHECK_STR(r->cgroup[0], "/kubepods.slice/kube-proxy");
	CHECK_STR(r->allow, "cgroup:/kubepods.slice/kube-proxy,uid:0");
	r = &p->rules[1];
	CHECK(r->line == 4 && r->port_lo == 30000 && r->port_hi == 30010 &&
	      r->proto == IPPROTO_UDP && r->n_uid == 2 && r->uid[1] == 1001 && r->n_comm == 1,
	      "rule 1");
	CHECK_STR(r->comm[0], "dnsmasq");
	r = &p->rules[2];
	CHECK(r->n_uid == 1 && r->uid[0] == 0 && r->n_cgroup == 1, "rule 2 ids");
	CHECK_STR(r->cgroup[0], "/system.slice/systemd-resolved.service");
	CHECK_STR(r->allow, "user:root,unit:systemd-resolved.service");
	r = &p->rules[3];
	CHECK_STR(r->cgroup[0], "/a/b");	/* trailing slash dropped */
	CHECK(!strncmp(r->comm[0], "exactly15bytesx", 16), "15-byte comm");
	CHECK(p->rules[4].uid[0] == 4294967294u && p->rules[4].line == 7, "last line, no newline");

	/* lookup: ranges inclusive, protocols apart */
	CHECK(policy__find(p, IPPROTO_TCP, 10256) == &p->rules[0], "find 10256/tcp");
	CHECK(!policy__find(p, IPPROTO_UDP, 10256), "10256/udp is not guarded");
	CHECK(policy__find(p, IPPROTO_UDP, 30000) == &p->rules[1], "range start");
	CHECK(policy__find(p, IPPROTO_UDP, 30010) == &p->rules[1], "range end");
	CHECK(!policy__find(p, IPPROTO_UDP, 30011), "past the range");
	CHECK(policy__find(p, IPPROTO_UDP, 53) == &p->rules[2] &&
	      policy__find(p, IPPROTO_TCP, 53) == &p->rules[3], "53 per protocol");
	policy__free(p);

	{	/* the longest line: its allow list is whole, never cut */
		char line[1100], want[1100];
		size_t len = 0, wlen = 0;

		len += (size_t)snprintf(line, sizeof(line), "80/tcp");
		for (int i = 0; i < 8; i++) {
			char item[200];

			snprintf(item, sizeof(item), "cgroup:/%0*d", 116, i);
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s", item);
			wlen += (size_t)snprintf(want + wlen, sizeof(want) - wlen, "%s%s",
						 i ? "," : "", item);
		}
		CHECK(len <= 1024, "line of %zu", len);
		p = NULL;
		CHECK(!policy__parse("l.conf", line, len, &p, err, sizeof(err)), "%s", err);
		if (p)
			CHECK_STR(p->rules[0].allow, want);
		policy__free(p);
	}
	/* an empty file (only comments) is a policy with no rules */
	p = NULL;
	CHECK(!policy__parse("e.conf", "# nothing\n\n", 11, &p, err, sizeof(err)) && p &&
	      p->n == 0, "empty policy");
	policy__free(p);
}

static int missing_calls;
static void on_missing(const struct policy *p, const struct policy_rule *r, const char *path,
		       void *ctx)
{
	(void)p;
	(void)r;
	(void)ctx;
	CHECK_STR(path, "/later");
	missing_calls++;
}

/* A directory tree stands in for the cgroup-v2 root: ids are inodes. */
static void test_resolve(void)
{
	char root[] = "/tmp/bw-policy-XXXXXX", path[256];
	const char *text = "80/tcp cgroup:/a/b,cgroup:/later\n81/tcp cgroup:/\n";
	struct policy *p = NULL;
	char err[256] = "";
	struct stat st;

	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/a", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/a/b", root);
	mkdir(path, 0755);
	stat(path, &st);
	CHECK(!policy__parse("r.conf", text, strlen(text), &p, err, sizeof(err)), "%s", err);
	if (!p)
		goto cleanup;
	CHECK(policy__resolve(p, root, on_missing, NULL) == 2, "two ids found (/a/b and /)");
	CHECK(missing_calls == 1, "missing reported %d times", missing_calls);
	CHECK(p->rules[0].cgroup_id[0] == st.st_ino && p->rules[0].cgroup_level[0] == 2,
	      "/a/b: id %llu level %u", (unsigned long long)p->rules[0].cgroup_id[0],
	      p->rules[0].cgroup_level[0]);
	CHECK(p->rules[0].cgroup_id[1] == 0, "a missing cgroup has id 0");
	CHECK(p->rules[1].cgroup_level[0] == 0 && p->rules[1].cgroup_id[0] != 0, "the root");
	/* the cgroup appears: found on the next look; nothing else changed */
	snprintf(path, sizeof(path), "%s/later", root);
	mkdir(path, 0755);
	CHECK(policy__resolve(p, root, NULL, NULL) == 1, "later found");
	CHECK(p->rules[0].cgroup_id[1] != 0 && p->rules[0].cgroup_level[1] == 1, "later's id");
	CHECK(policy__resolve(p, root, NULL, NULL) == 0, "nothing changed");
	rmdir(path);
cleanup:
	policy__free(p);
	snprintf(path, sizeof(path), "%s/a/b", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", root);
	rmdir(path);
	rmdir(root);
}

int main(void)
{
	test_errors();
	test_forms();
	test_resolve();
	return tap_done("policy");
}
