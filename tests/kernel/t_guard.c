/*
 * Port guard: `bindwatch guard --policy FILE` with real processes in real
 * cgroups this file makes under the v2 root (and removes): refused binds get
 * EPERM from bind() and from io_uring, allowed ones bind, other ports are
 * untouched, --audit refuses nothing, SIGKILL of the agent ends enforcement,
 * SIGHUP with a broken policy keeps the old rules, ranges, IPv4 and IPv6,
 * and a bad policy names its line.  #included by ktest.c.
 */
#include <sys/stat.h>

/*
 * A free port below the host's ephemeral range: the guard is host-wide (the
 * v2 root), and a guarded port inside the range could refuse another
 * program's bind to port 0 that the kernel happened to send there.
 */
static unsigned short guard_free_port(int type)
{
	unsigned int lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = 32768;
		fclose(f);
	}
	if (lo < 12000)
		return free_port(type);	/* no room below: take what there is */
	for (int tries = 0; tries < 200; tries++) {
		unsigned short p = (unsigned short)(10000 + rand() % (int)(lo - 10000 - 8));
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(p) };
		int fd = socket(AF_INET6, type, 0), ok;

		ok = fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a));
		if (fd >= 0)
			close(fd);
		if (ok)
			return p;
	}
	return 0;
}

struct guard_env {
	char root[256];		/* the cgroup-v2 mount */
	char base[512];		/* <root>/bwt-guard-<pid> */
	char allowed[600];	/* <base>/allowed */
	char other[600];	/* <base>/other */
	char rel_allowed[600];	/* /bwt-guard-<pid>/allowed */
	char policy[64];	/* /tmp/bwt-guard-XXXXXX */
};

static bool guard_env_make(struct guard_env *g)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];

	memset(g, 0, sizeof(*g));
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " - cgroup2 ") &&
		    sscanf(line, "%*s %*s %*s %*s %255s", g->root) == 1)
			break;
	if (f)
		fclose(f);
	if (!g->root[0]) {
		failf("no cgroup-v2 mount");
		return false;
	}
	snprintf(g->base, sizeof(g->base), "%s/bwt-guard-%d", g->root, (int)getpid());
	snprintf(g->allowed, sizeof(g->allowed), "%s/allowed", g->base);
	snprintf(g->other, sizeof(g->other), "%s/other", g->base);
	snprintf(g->rel_allowed, sizeof(g->rel_allowed), "/bwt-guard-%d/allowed", (int)getpid());
	if ((mkdir(g->base, 0755) && errno != EEXIST) ||
	    (mkdir(g->allowed, 0755) && errno != EEXIST) ||
	    (mkdir(g->other, 0755) && errno != EEXIST)) {
		failf("mkdir %s: %s", g->base, strerror(errno));
		return false;
	}
	snprintf(g->policy, sizeof(g->policy), "/tmp/bwt-guard-XXXXXX");
	{
		int fd = mkstemp(g->policy);

		if (fd < 0) {
			failf("mkstemp");
			return false;
		}
		close(fd);
	}
	return true;
}

static void guard_env_free(struct guard_env *g)
{
	/* a cgroup whose last task just exited may still be busy a moment */
	for (int i = 0; i < 50; i++) {
		rmdir(g->allowed);
		rmdir(g->other);
		if (!rmdir(g->base) || errno == ENOENT)
			break;
		usleep(20000);
	}
	if (g->policy[0])
		unlink(g->policy);
}

static bool guard_write_policy(const struct guard_env *g, const char *text)
{
	FILE *f = fopen(g->policy, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		failf("write policy %s", g->policy);
		return false;
	}
	return true;
}

/* The agent as `bindwatch guard --json --policy F [extra...]`: the harness's
 * start, and the ready record must name the guard among its hooks. */
static bool guard_start(struct agent *a, const char *policy, const char *const *extra)
{
	const char *args[32] = { "--policy", policy };
	int i = 2;

	for (int k = 0; extra && extra[k] && i < 31; k++)
		args[i++] = extra[k];
	args[i] = NULL;
	if (!agent_start_sub(a, "guard", args))
		return false;
	if (!agent_has_hook(a, "guard")) {
		failf("guard agent printed no ready line with the hook \"guard\": %s", a->lines[0]);
		return false;
	}
	return true;
}

/* How a child binds: where, as whom, by which call. */
struct gbind {
	const char *cgroup;	/* a cgroup folder to enter first, or NULL */
	uid_t uid;		/* 0: stay root */
	int family, type;
	unsigned short port;
	int iouring;		/* IORING_OP_BIND instead of bind() */
	const char *comm;
};

/* Bind in a child; returns 0 or the errno the child saw (-1: it broke). */
static int gbind_try(const struct gbind *b)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sockaddr_storage ss = { 0 };
		socklen_t len;
		int fd, res = 0;

		if (b->cgroup) {
			char procs[700];
			FILE *f;

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", b->cgroup);
			f = fopen(procs, "w");
			if (!f || fprintf(f, "0\n") < 0 || fclose(f))
				_exit(250);
		}
		prctl(PR_SET_NAME, b->comm ? b->comm : "bwt-guard");
		if (b->uid && setresuid(b->uid, b->uid, b->uid))
			_exit(251);
		if (b->family == AF_INET) {
			struct sockaddr_in *s = (void *)&ss;

			s->sin_family = AF_INET;
			s->sin_port = htons(b->port);
			inet_pton(AF_INET, "127.0.0.1", &s->sin_addr);
			len = sizeof(*s);
		} else {
			struct sockaddr_in6 *s = (void *)&ss;

			s->sin6_family = AF_INET6;
			s->sin6_port = htons(b->port);
			inet_pton(AF_INET6, "::1", &s->sin6_addr);
			len = sizeof(*s);
		}
		fd = socket(b->family, b->type, 0);
		if (fd < 0)
			_exit(252);
		if (b->iouring) {
			if (iouring_bind(fd, (struct sockaddr *)&ss, len, &res))
				_exit(253);
			_exit(res < 0 ? -res : 0);
		}
		_exit(bind(fd, (struct sockaddr *)&ss, len) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static bool expect_bind(const struct gbind *b, int want, const char *what)
{
	int got = gbind_try(b);

	if (got != want)
		failf("%s: bind of %u got %s (%d), want %s", what, b->port,
		      got > 0 ? strerror(got) : got ? "a broken child" : "success", got,
		      want ? strerror(want) : "success");
	return got == want;
}

struct gmatch { const char *action; long port; const char *comm; };

static bool guard_pred(const char *line, const void *arg)
{
	const struct gmatch *m = arg;
	char c[64];

	if (!jis(line, "event", "guard") || !jis(line, "action", m->action))
		return false;
	if (jnum(line, "port") != m->port)
		return false;
	return !m->comm || (jget(line, "comm", c, sizeof(c)) && !strcmp(c, m->comm));
}

static const char *expect_guard(struct agent *a, const char *action, long port,
				const char *comm)
{
	struct gmatch m = { action, port, comm };
	const char *l = agent_wait(a, guard_pred, &m, 5);

	if (!l)
		failf("no guard %s event for port %ld by %s", action, port, comm ? comm : "anyone");
	return l;
}

/* No record about port may carry a collision, and no bind of it may say
 * EADDRINUSE: a refusal is not a conflict. */
static void no_collision(struct agent *a, unsigned short port)
{
	for (int k = 0; k < a->nlines; k++) {
		const char *l = a->lines[k];

		if (jnum(l, "port") != port)
			continue;
		if (strstr(l, "\"kind\":\"collision\"") || strstr(l, "EADDRINUSE"))
			failf("a refused bind reported as a collision: %s", l);
	}
}

/* After agent_stop(): no guard record holds any of needles (NULL-terminated,
 * e.g. "\"comm\":\"insider\""); each one that does fails as "an allowed
 * bind was <what>". */
static void no_guard_record(const struct agent *a, const char *const *needles, const char *what)
{
	for (int k = 0; k < a->nlines; k++) {
		if (!jis(a->lines[k], "event", "guard"))
			continue;
		for (int n = 0; needles[n]; n++) {
			if (strstr(a->lines[k], needles[n])) {
				failf("an allowed bind was %s: %s", what, a->lines[k]);
				break;
			}
		}
	}
}

/* The usual start: a fresh env, a policy keeping tcp port for uid 0 alone,
 * and the agent enforcing it.  False if any step failed (said). */
static bool guard_up_root(struct guard_env *g, struct agent *a, unsigned short port)
{
	char text[64];

	if (!guard_env_make(g))
		return false;
	snprintf(text, sizeof(text), "%u/tcp uid:0\n", port);
	return guard_write_policy(g, text) && guard_start(a, g->policy, NULL);
}

/* uid and cgroup refusals, the allowed ones, an untouched port, IPv4+IPv6. */
static int t_guard_deny(void)
{
	unsigned short p1 = guard_free_port(SOCK_STREAM), p2 = guard_free_port(SOCK_STREAM),
		       p3 = guard_free_port(SOCK_STREAM);
	struct guard_env g;
	struct agent a = { 0 };
	char text[1024], rule[128];
	const char *l;

	if (!guard_env_make(&g))
		goto done;
	snprintf(text, sizeof(text), "# guard test\n%u/tcp cgroup:%s\n%u/tcp uid:0\n", p1,
		 g.rel_allowed, p2);
	if (!guard_write_policy(&g, text) || !guard_start(&a, g.policy, NULL))
		goto done;
	{
		struct gbind out4 = { g.other, 0, AF_INET, SOCK_STREAM, p1, 0, "outsider" };
		struct gbind out6 = { g.other, 0, AF_INET6, SOCK_STREAM, p1, 0, "outsider6" };
		struct gbind in4 = { g.allowed, 0, AF_INET, SOCK_STREAM, p1, 0, "insider" };
		struct gbind in6 = { g.allowed, 0, AF_INET6, SOCK_STREAM, p1, 0, "insider6" };
		struct gbind nobody = { NULL, 65534, AF_INET, SOCK_STREAM, p2, 0, "stranger" };
		struct gbind nobody6 = { NULL, 65534, AF_INET6, SOCK_STREAM, p2, 0, "stranger6" };
		struct gbind root = { NULL, 0, AF_INET, SOCK_STREAM, p2, 0, "rootly" };
		struct gbind free4 = { g.other, 65534, AF_INET, SOCK_STREAM, p3, 0, "freebie" };

		expect_bind(&out4, EPERM, "outside the allowed cgroup (IPv4)");
		expect_bind(&out6, EPERM, "outside the allowed cgroup (IPv6)");
		expect_bind(&in4, 0, "inside the allowed cgroup (IPv4)");
		expect_bind(&in6, 0, "inside the allowed cgroup (IPv6)");
		expect_bind(&nobody, EPERM, "another uid (IPv4)");
		expect_bind(&nobody6, EPERM, "another uid (IPv6)");
		expect_bind(&root, 0, "the allowed uid");
		expect_bind(&free4, 0, "a port not in the policy");
	}
	snprintf(rule, sizeof(rule), "%s:2", g.policy);
	l = expect_guard(&a, "deny", p1, "outsider");
	check_eq_str(l, "rule", rule);
	check_eq_str(l, "errno", "EPERM");
	check_eq_str(l, "family", "ipv4");
	if (l && !strstr(l, g.rel_allowed))
		failf("kept_for does not name the allowed cgroup: %s", l);
	l = expect_guard(&a, "deny", p1, "outsider6");
	check_eq_str(l, "family", "ipv6");
	check_eq_str(l, "addr", "::1");
	snprintf(rule, sizeof(rule), "%s:3", g.policy);
	l = expect_guard(&a, "deny", p2, "stranger");
	check_eq_str(l, "rule", rule);
	check_eq_num(l, "uid", 65534);
	if (l && !strstr(l, "\"kept_for\":[\"uid:0\"]"))
		failf("kept_for: %s", l);
	expect_guard(&a, "deny", p2, "stranger6");
	/* the watch reports the refused bind as EPERM, never as in use; the
	 * pairing stage knows it was the guard (fentry: the kernel's EPERM,
	 * named the guard's when its refusal was read first) */
	{
		struct match m = { "bind", p1, -1, "EPERM", 0 };
		char src[32] = "";

		l = agent_wait(&a, match_pred, &m, 5);
		if (!l)
			failf("no bind event with EPERM for the refused bind of %u", p1);
		else if (!jget(l, "errno_source", src, sizeof(src)) ||
			 (strcmp(src, "guard") && (strcmp(src, "kernel") || !strcmp(a.backend, "cgroup"))))
			failf("refused bind: errno_source '%s', want guard: %s", src, l);
	}
	agent_stop(&a);
	no_collision(&a, p1);
	no_collision(&a, p2);
	{
		/* "insider" without its closing quote: insider6 too */
		const char *allowed[] = { "\"comm\":\"insider", "\"comm\":\"rootly\"",
					  "\"comm\":\"freebie\"", NULL };

		no_guard_record(&a, allowed, "reported");
	}
done:
	agent_free(&a);
	guard_env_free(&g);
	return T_PASS;
}

/* io_uring's IORING_OP_BIND passes the same hooks. */
static int t_guard_iouring(void)
{
	unsigned short port = guard_free_port(SOCK_STREAM);
	struct gbind probe = { NULL, 0, AF_INET, SOCK_STREAM, 0, 1, "probe" };
	struct guard_env g;
	struct agent a = { 0 };

	probe.port = guard_free_port(SOCK_STREAM);
	if (gbind_try(&probe) == EINVAL || gbind_try(&probe) == 253)
		SKIP("this kernel has no IORING_OP_BIND (Linux >= 6.11)");
	if (!guard_up_root(&g, &a, port))
		goto done;
	{
		struct gbind ring_no = { NULL, 65534, AF_INET, SOCK_STREAM, port, 1, "ringer" };
		struct gbind ring_no6 = { NULL, 65534, AF_INET6, SOCK_STREAM, port, 1, "ringer6" };
		struct gbind ring_yes = { NULL, 0, AF_INET, SOCK_STREAM, port, 1, "ringroot" };

		expect_bind(&ring_no, EPERM, "io_uring bind by another uid");
		expect_bind(&ring_no6, EPERM, "io_uring bind by another uid (IPv6)");
		expect_bind(&ring_yes, 0, "io_uring bind by the allowed uid");
	}
	expect_guard(&a, "deny", port, "ringer");
	expect_guard(&a, "deny", port, "ringer6");
done:
	agent_free(&a);
	guard_env_free(&g);
	return T_PASS;
}

/* --audit: both pass, the would-be refusal is reported. */
static int t_guard_audit(void)
{
	unsigned short port = guard_free_port(SOCK_STREAM);
	const char *extra[] = { "--audit", NULL };
	struct guard_env g;
	struct agent a = { 0 };
	char text[1024];
	const char *l;

	if (!guard_env_make(&g))
		goto done;
	snprintf(text, sizeof(text), "%u/tcp cgroup:%s\n", port, g.rel_allowed);
	if (!guard_write_policy(&g, text) || !guard_start(&a, g.policy, extra))
		goto done;
	check_true(strstr(a.lines[0], "\"guard_audit\"") != NULL,
		   "the ready record's hooks name guard_audit");
	{
		struct gbind out = { g.other, 0, AF_INET, SOCK_STREAM, port, 0, "auditee" };
		struct gbind uid = { g.other, 65534, AF_INET6, SOCK_STREAM, port, 0, "auditee6" };
		struct gbind in = { g.allowed, 0, AF_INET, SOCK_STREAM, port, 0, "insider" };

		expect_bind(&out, 0, "audit: outside the cgroup");
		expect_bind(&uid, 0, "audit: another uid, IPv6");
		expect_bind(&in, 0, "audit: inside the cgroup");
	}
	l = expect_guard(&a, "audit", port, "auditee");
	check_eq_str(l, "errno", "null");
	expect_guard(&a, "audit", port, "auditee6");
	agent_stop(&a);
	{
		const char *allowed[] = { "\"comm\":\"insider\"", NULL };

		no_guard_record(&a, allowed, "audited");
	}
done:
	agent_free(&a);
	guard_env_free(&g);
	return T_PASS;
}

/* SIGKILL of the agent removes enforcement: fail open. */
static int t_guard_sigkill(void)
{
	unsigned short port = guard_free_port(SOCK_STREAM);
	struct gbind b = { NULL, 65534, AF_INET, SOCK_STREAM, 0, 0, "refused" };
	struct guard_env g;
	struct agent a = { 0 };
	int got = -1;

	b.port = port;
	if (!guard_up_root(&g, &a, port))
		goto done;
	if (!expect_bind(&b, EPERM, "before SIGKILL"))
		goto done;
	kill(a.pid, SIGKILL);
	waitpid(a.pid, NULL, 0);
	a.pid = 0;
	close(a.out);
	/* the links go when the last reference to them does */
	for (int i = 0; i < 100 && got; i++) {
		got = gbind_try(&b);
		if (got)
			usleep(20000);
	}
	if (got)
		failf("after SIGKILL of the agent the bind still fails: %s", strerror(got));
done:
	agent_free(&a);
	guard_env_free(&g);
	return T_PASS;
}

/* SIGHUP: a broken policy keeps the old rules and says where it broke; a
 * good one replaces them. */
static int t_guard_reload(void)
{
	unsigned short p1 = guard_free_port(SOCK_STREAM), p2 = guard_free_port(SOCK_STREAM);
	struct gbind b1 = { NULL, 65534, AF_INET, SOCK_STREAM, p1, 0, "reloader" };
	struct gbind b2 = { NULL, 65534, AF_INET, SOCK_STREAM, p2, 0, "reloader" };
	struct guard_env g;
	struct agent a = { 0 };
	char text[256], want[512], err[512];
	const char *l;

	if (!guard_up_root(&g, &a, p1))
		goto done;
	expect_bind(&b1, EPERM, "first policy");
	snprintf(text, sizeof(text), "%u/tcp uid:0\n# ok so far\n%u/tcp uid:zero\n", p2, p1);
	guard_write_policy(&g, text);
	kill(a.pid, SIGHUP);
	{
		struct match m = { "reload", -1, -1, NULL, 0 };

		l = agent_wait(&a, match_pred, &m, 5);
	}
	check_true(l != NULL, "no reload record after SIGHUP");
	check_eq_str(l, "ok", "false");
	check_eq_str(l, "what", "sinks,registry,policy");
	snprintf(want, sizeof(want),
		 "policy not reloaded, the old rules stay in force: %s:3: bad uid 'zero'",
		 g.policy);
	err[0] = 0;
	if (l && (!jget(l, "why", err, sizeof(err)) || strcmp(err, want)))
		failf("reload error: got '%s', want '%s'", err, want);
	expect_bind(&b1, EPERM, "the old policy after a broken reload");
	expect_bind(&b2, 0, "a port only the broken policy named");
	/* a good file: p2 guarded now, p1 free */
	snprintf(text, sizeof(text), "%u/tcp uid:0\n", p2);
	guard_write_policy(&g, text);
	for (int k = 0; k < a.nlines; k++)
		if (jis(a.lines[k], "event", "reload"))
			a.lines[k][1] = 'x';	/* seen: do not match it again */
	kill(a.pid, SIGHUP);
	{
		struct match m = { "reload", -1, -1, NULL, 0 };

		l = agent_wait(&a, match_pred, &m, 5);
	}
	check_eq_str(l, "ok", "true");
	expect_bind(&b1, 0, "a port the new policy dropped");
	expect_bind(&b2, EPERM, "a port the new policy guards");
	l = expect_guard(&a, "deny", p2, "reloader");
	snprintf(want, sizeof(want), "%s:1", g.policy);
	check_eq_str(l, "rule", want);
done:
	agent_free(&a);
	guard_env_free(&g);
	return T_PASS;
}

/* A range, UDP: every port in it, none outside. */
static int t_guard_range(void)
{
	unsigned short base = 0;
	struct guard_env g;
	struct agent a = { 0 };
	char text[256];

	/* four free UDP ports in a row */
	for (int tries = 0; tries < 50 && !base; tries++) {
		unsigned short p = guard_free_port(SOCK_DGRAM);
		int ok = p && p < 65000;

		for (int k = 1; ok && k < 4; k++) {
			int err, fd = sock_at(AF_INET6, SOCK_DGRAM, "::", (unsigned short)(p + k), 0,
					      &err);

			ok = fd >= 0 && !err;
			if (fd >= 0)
				close(fd);
		}
		if (ok)
			base = p;
	}
	if (!base) {
		failf("no four free UDP ports in a row");
		return T_FAIL;
	}
	if (!guard_env_make(&g))
		goto done;
	snprintf(text, sizeof(text), "%u-%u/udp uid:0\n", base, base + 2);
	if (!guard_write_policy(&g, text) || !guard_start(&a, g.policy, NULL))
		goto done;
	for (int k = 0; k < 4; k++) {
		struct gbind b = { NULL, 65534, k % 2 ? AF_INET6 : AF_INET, SOCK_DGRAM,
				   (unsigned short)(base + k), 0, "ranger" };
		struct gbind t = { NULL, 65534, AF_INET, SOCK_STREAM, (unsigned short)(base + k),
				   0, "tcpranger" };

		expect_bind(&b, k < 3 ? EPERM : 0, k < 3 ? "in the range" : "past the range");
		expect_bind(&t, 0, "the same port, TCP");
	}
	for (int k = 0; k < 3; k++)
		expect_guard(&a, "deny", base + k, "ranger");
done:
	agent_free(&a);
	guard_env_free(&g);
	return T_PASS;
}

/* A bad policy stops the agent before anything is attached, naming its line. */
static int t_guard_bad_policy(void)
{
	struct guard_env g;
	char text[256], buf[1024] = "", want[128];
	int p[2], status = -1;
	ssize_t n = 0;
	pid_t pid;

	if (!guard_env_make(&g))
		goto done;
	snprintf(text, sizeof(text), "# header\n80/tcp uid:0\n81/tcp comm:waytoolongforacomm\n");
	if (!guard_write_policy(&g, text) || pipe(p))
		goto done;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		dup2(p[1], 1);
		execl(agent_path, agent_path, "guard", "--json", "--policy", g.policy, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (ssize_t r; (r = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0;)
		n += r;
	buf[n] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	check_true(WIFEXITED(status) && WEXITSTATUS(status) == 1, "a bad policy must exit 1");
	snprintf(want, sizeof(want), "%s:3: comm 'waytoolongforacomm' longer than 15", g.policy);
	if (!strstr(buf, want))
		failf("want '%s' in: %s", want, buf);
	if (strstr(buf, "\"event\":\"ready\""))
		failf("the agent got ready with a bad policy: %s", buf);
	/* and `guard` without a policy is a usage error */
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execl(agent_path, agent_path, "guard", "--json", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	check_true(WIFEXITED(status) && WEXITSTATUS(status) == 2, "guard without --policy must exit 2");
done:
	guard_env_free(&g);
	return T_PASS;
}

/* A port held at start by someone the policy would refuse: said at once;
 * one held by the cgroup the rule allows: not a word. */
static int t_guard_holder(void)
{
	unsigned short port = guard_free_port(SOCK_STREAM), port2 = guard_free_port(SOCK_STREAM);
	struct server sv = { 0 }, ok = { 0 };
	struct guard_env g;
	struct agent a = { 0 };
	char text[1024], rule[128];
	const char *l;

	if (!guard_env_make(&g))
		goto done;
	snprintf(text, sizeof(text), "# kept for uid 4242\n%u/tcp uid:4242\n%u/tcp cgroup:%s\n",
		 port, port2, g.rel_allowed);
	if (!guard_write_policy(&g, text) || !serve(&sv, "squatter", NULL, "4", "127.0.0.1", port, "l"))
		goto done;
	serve_cgroup = g.allowed;
	if (!serve(&ok, "rightful", NULL, "4", "127.0.0.1", port2, "l")) {
		serve_cgroup = NULL;
		goto done;
	}
	serve_cgroup = NULL;
	if (!guard_start(&a, g.policy, NULL))
		goto done;
	l = expect_guard(&a, "held", port, "squatter");
	snprintf(rule, sizeof(rule), "%s:2", g.policy);
	check_eq_str(l, "rule", rule);
	check_eq_num(l, "pid", sv.pid);
	agent_stop(&a);
	for (int k = 0; k < a.nlines; k++)
		if (jis(a.lines[k], "event", "guard") && jnum(a.lines[k], "port") == port2)
			failf("a holder in the allowed cgroup was reported: %s", a.lines[k]);
done:
	agent_free(&a);
	unserve(&sv);
	unserve(&ok);
	guard_env_free(&g);
	return T_PASS;
}

/* A bind to port 0 whose kernel-chosen port is guarded: refused at post_bind.
 * In a netns whose ephemeral range is the guarded ports. */
static int t_guard_port0(void)
{
	unsigned short port = 0;
	struct guard_env g;
	struct agent a = { 0 };
	char text[256], sysctl_cmd[256];
	const char *l;
	int got = -1;

	for (int tries = 0; tries < 50 && !port; tries++) {
		unsigned short p = guard_free_port(SOCK_STREAM);

		if (p && p % 2 == 0 && p < 65000)
			port = p;
	}
	snprintf(sysctl_cmd, sizeof(sysctl_cmd), "%s netns exec bwt-gport0 sysctl -qw "
		 "net.ipv4.ip_local_port_range='%u %u'", ip_cmd(), port, port + 1);
	if (!port || !netns_make("bwt-gport0", sysctl_cmd))
		return T_FAIL;
	if (!guard_env_make(&g))
		goto done;
	snprintf(text, sizeof(text), "%u-%u/tcp uid:4242\n", port, port + 1);
	if (!guard_write_policy(&g, text) || !guard_start(&a, g.policy, NULL))
		goto done;
	{
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct sockaddr_in sa = { .sin_family = AF_INET };
			int nfd = open("/run/netns/bwt-gport0", O_RDONLY), fd;

			if (nfd < 0 || setns(nfd, CLONE_NEWNET))
				_exit(250);
			prctl(PR_SET_NAME, "zeroport");
			inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
			fd = socket(AF_INET, SOCK_STREAM, 0);
			_exit(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0);
		}
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			got = WEXITSTATUS(status);
	}
	if (got != EPERM)
		failf("bind to port 0 landing on a guarded port: got %d, want EPERM", got);
	{
		struct gmatch m = { "deny", port, "zeroport" };

		l = agent_wait(&a, guard_pred, &m, 2);
		if (!l) {
			m.port = port + 1;
			l = expect_guard(&a, "deny", port + 1, "zeroport");
		}
	}
	check_eq_str(l, "hook", "post_bind");
done:
	agent_free(&a);
	guard_env_free(&g);
	netns_del("bwt-gport0");
	return T_PASS;
}

/* `bindwatch daemon --policy`: refusals and the policy reload are sealed in
 * the log like every other record. */
static int t_guard_daemon(void)
{
	unsigned short port = guard_free_port(SOCK_STREAM);
	struct gbind b = { NULL, 65534, AF_INET, SOCK_STREAM, 0, 0, "logged" };
	char dir[] = "/tmp/bw-glog-XXXXXX", err[4096], out[4096], text[256];
	const char *extra[] = { "--policy", NULL, NULL };
	struct guard_env g;
	struct daemon_run d = { 0 };

	b.port = port;
	if (!guard_env_make(&g) || !mkdtemp(dir))
		goto done;
	snprintf(text, sizeof(text), "%u/tcp uid:0\n", port);
	extra[1] = g.policy;
	if (!guard_write_policy(&g, text) || !daemon_start(&d, dir, extra))
		goto done;
	expect_bind(&b, EPERM, "daemon: another uid");
	kill(d.pid, SIGHUP);
	usleep(600000);
	daemon_stop(&d, err, sizeof(err));
	if (log_count2(dir, "\"event\":\"guard\",\"action\":\"deny\"", "\"comm\":\"logged\"") != 1)
		failf("no guard deny record in the log");
	if (log_count2(dir, "\"event\":\"reload\"",
		       "\"ok\":true,\"what\":\"sinks,registry,policy\"") != 1)
		failf("no policy reload record in the log");
	/* the watch's own record of the refused bind: the guard's EPERM */
	if (log_count2(dir, "\"event\":\"bind\"", "\"errno\":\"EPERM\",\"errno_source\":\"guard\"") < 1)
		failf("no bind record with errno_source guard in the log");
	check_true(verify_rc(dir, out, sizeof(out)) == 0, "the log with guard records verifies");
done:
	rm_rf(dir);
	guard_env_free(&g);
	return T_PASS;
}
