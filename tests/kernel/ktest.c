/*
 * Kernel tests: the real agent, loaded into the running kernel, watching
 * real sockets.  Usage: ktest AGENT [--backend NAME] [--exact-errno] [FILTER]
 * Prints one line per test and "N passed, N failed, N skipped".
 */
#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include "harness.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#define BW_IORING_OP_BIND 56	/* Linux 6.11 */

/* ------------------------------------------------------------ helpers */

static unsigned short free_port(int type)
{
	for (int tries = 0; tries < 200; tries++) {
		unsigned short p = (unsigned short)(20000 + rand() % 30000);
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

static int sock_at(int family, int type, const char *addr, unsigned short port,
		   int reuseaddr, int *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, type, 0), one = 1;

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (reuseaddr)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s->sin_addr);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		len = sizeof(*s);
	}
	if (bind(fd, (struct sockaddr *)&ss, len))
		*err = errno;
	return fd;
}

static unsigned long long cookie_of(int fd)
{
	unsigned long long c = 0;
	socklen_t l = sizeof(c);

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &l);
	return c;
}

static unsigned short port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &l))
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Run fn in a child named comm (optionally as uid); returns fn's value. */
static int in_child(const char *comm, uid_t uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_NAME, comm);
		if (uid && setresuid(uid, uid, uid))
			_exit(200);
		_exit(fn(arg) & 0xff);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char port_s[16];
static const char **port_args(unsigned short port)
{
	static const char *args[4];

	snprintf(port_s, sizeof(port_s), "%u", port);
	args[0] = "--port";
	args[1] = port_s;
	args[2] = NULL;
	return args;
}

/* ------------------------------------------------------------ tests */

struct bind_case {
	int family, type;
	const char *addr;
	unsigned short port;
	const char *family_s, *proto_s;
};

static int do_bind_close(void *arg)
{
	struct bind_case *c = arg;
	int err, fd = sock_at(c->family, c->type, c->addr, c->port, 0, &err);

	usleep(20000);
	close(fd);
	return err;
}

static int bind_case(int family, int type, const char *addr)
{
	struct bind_case c = { family, type, addr, free_port(type),
			       family == AF_INET ? "ipv4" : "ipv6",
			       type == SOCK_STREAM ? "tcp" : "udp" };
	struct agent a;
	const char *l;
	int r;

	if (!agent_start(&a, port_args(c.port)))
		return T_FAIL;
	r = in_child("bw-binder", 0, do_bind_close, &c);
	check_true(r == 0, "bind in child failed");
	l = expect_event(&a, "bind", c.port, "null");
	if (l && check_eq_str(l, "comm", "bw-binder") && check_eq_str(l, "family", c.family_s) &&
	    check_eq_str(l, "proto", c.proto_s) && check_eq_str(l, "addr", addr) &&
	    check_eq_num(l, "requested_port", c.port) && check_eq_num(l, "ret", 0))
		check_true(jnum(l, "sock") > 0 && jnum(l, "netns") > 0 && jnum(l, "pid") > 0,
			   "sock, netns and pid must be set");
	if (l) {
		struct match m = { "close", c.port, jnum(l, "sock"), NULL };

		check_true(agent_wait(&a, match_pred, &m, 5) != NULL,
			   "no close event with the bind's sock");
	}
	agent_free(&a);
	return T_PASS;
}

static int t_tcp4(void) { return bind_case(AF_INET, SOCK_STREAM, "127.0.0.1"); }
static int t_udp4(void) { return bind_case(AF_INET, SOCK_DGRAM, "127.0.0.1"); }
static int t_tcp6(void) { return bind_case(AF_INET6, SOCK_STREAM, "::1"); }
static int t_udp6(void) { return bind_case(AF_INET6, SOCK_DGRAM, "::"); }

static int t_port0(void)
{
	struct agent a;
	int err, fd;
	unsigned short port;
	char want[64];
	const char *l;
	struct match m = { "bind", -1, -1, "null" };

	if (!agent_start(&a, NULL))
		return T_FAIL;
	fd = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", 0, 0, &err);
	port = port_of(fd);
	m.sock = (long)cookie_of(fd);
	l = agent_wait(&a, match_pred, &m, 5);
	snprintf(want, sizeof(want), "bind event for sock %ld", m.sock);
	if (check_true(l != NULL, want)) {
		check_eq_num(l, "port", port);
		check_eq_num(l, "requested_port", 0);
	}
	close(fd);
	agent_free(&a);
	return T_PASS;
}

static int do_latecomer(void *arg)
{
	struct bind_case *c = arg;
	int err, fd = sock_at(c->family, c->type, c->addr, c->port, 0, &err);

	close(fd);
	return err;
}

static int t_eaddrinuse_bind(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, 0 };
	struct agent a;
	const char *l;
	int err, holder, r;

	holder = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, &err);
	listen(holder, 8);
	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	r = in_child("latecomer", 0, do_latecomer, &c);
	check_true(r == EADDRINUSE, "latecomer's bind did not fail with EADDRINUSE");
	l = expect_event(&a, "bind", port, "EADDRINUSE");
	if (l) {
		/* only the plain cgroup backend has to deduce the errno */
		check_eq_str(l, "errno_source",
			     !strcmp(a.backend, "cgroup") ? "inferred" : "kernel");
		check_eq_str(l, "comm", "latecomer");
		check_eq_str(l, "addr", "127.0.0.1");
		check_eq_num(l, "requested_port", port);
		check_eq_num(l, "ret", -EADDRINUSE);
	}
	close(holder);
	agent_free(&a);
	return T_PASS;
}

static int t_eaddrinuse_listen(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct agent a;
	const char *l;
	int e1, e2, s1, s2, r;

	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	s1 = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", port, 1, &e1);
	s2 = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", port, 1, &e2);
	check_true(!e1 && !e2, "two SO_REUSEADDR binds should both succeed");
	check_true(!listen(s1, 8), "first listen should succeed");
	r = listen(s2, 8) ? errno : 0;
	check_true(r == EADDRINUSE, "second listen should fail with EADDRINUSE");
	l = expect_event(&a, "listen", port, "EADDRINUSE");
	if (l)
		check_eq_num(l, "sock", (long)cookie_of(s2));
	l = expect_event(&a, "listen", port, "null");
	if (l)
		check_eq_num(l, "sock", (long)cookie_of(s1));
	close(s1);
	close(s2);
	agent_free(&a);
	return T_PASS;
}

static int do_low_port(void *arg)
{
	return do_latecomer(arg);
}

static int t_eacces(void)
{
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", 999, 0, 0 };
	struct agent a;
	const char *l;
	int r;

	if (!agent_start(&a, port_args(999)))
		return T_FAIL;
	r = in_child("unpriv", 65534, do_low_port, &c);
	check_true(r == EACCES, "uid 65534 binding port 999 should get EACCES");
	l = expect_event(&a, "bind", 999, "EACCES");
	if (l)
		check_eq_num(l, "uid", 65534);
	agent_free(&a);
	return T_PASS;
}

static int t_eaddrnotavail(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct bind_case c = { AF_INET, SOCK_STREAM, "192.0.2.77", port, 0, 0 };
	struct agent a;
	const char *l;
	int r;

	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	r = in_child("foreign", 0, do_latecomer, &c);
	check_true(r == EADDRNOTAVAIL, "binding 192.0.2.77 should give EADDRNOTAVAIL");
	l = expect_event(&a, "bind", port, "EADDRNOTAVAIL");
	if (l)
		check_eq_str(l, "addr", "192.0.2.77");
	agent_free(&a);
	return T_PASS;
}

static int t_options(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct agent a;
	const char *l;
	char opts[256];
	int fd, one = 1;

	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	check_true(!bind(fd, (struct sockaddr *)&a6, sizeof(a6)), "bind [::] failed");
	l = expect_event(&a, "bind", port, "null");
	if (l && jget(l, "opts", opts, sizeof(opts)))
		check_true(strstr(opts, "\"reuseaddr\"") && strstr(opts, "\"reuseport\"") &&
			   strstr(opts, "\"v6only\"") && strstr(opts, "\"freebind\""),
			   "opts must list reuseaddr, reuseport, v6only, freebind");
	close(fd);
	agent_free(&a);
	return T_PASS;
}

/* A raw io_uring submission of IORING_OP_BIND: no liburing needed. */
static int iouring_bind(int fd, struct sockaddr *sa, socklen_t len, int *res)
{
	struct io_uring_params p = { 0 };
	int ring = (int)syscall(__NR_io_uring_setup, 4, &p), ret = -1;
	void *sq = MAP_FAILED, *cq = MAP_FAILED, *sqes = MAP_FAILED;
	size_t sq_sz, cq_sz;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned *tail, *array, *cq_head, *cq_tail;

	if (ring < 0)
		return -1;
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqe), PROT_READ | PROT_WRITE, MAP_SHARED,
		    ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		goto cleanup;
	tail = (unsigned *)((char *)sq + p.sq_off.tail);
	array = (unsigned *)((char *)sq + p.sq_off.array);
	sqe = sqes;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = BW_IORING_OP_BIND;
	sqe->fd = fd;
	sqe->addr = (unsigned long)sa;
	sqe->off = len;		/* addr2: the address length */
	array[0] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		goto cleanup;
	cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	if (*cq_head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
		goto cleanup;
	cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	*res = cqe[*cq_head & *(unsigned *)((char *)cq + p.cq_off.ring_mask)].res;
	ret = 0;
cleanup:
	if (sqes != MAP_FAILED)
		munmap(sqes, p.sq_entries * sizeof(*sqe));
	if (cq != MAP_FAILED)
		munmap(cq, cq_sz);
	if (sq != MAP_FAILED)
		munmap(sq, sq_sz);
	close(ring);
	return ret;
}

static int t_iouring(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct agent a;
	const char *l;
	int fd, res = 0;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (iouring_bind(fd, (struct sockaddr *)&sa, sizeof(sa), &res) || res == -EINVAL) {
		close(fd);
		SKIP("this kernel has no IORING_OP_BIND (Linux >= 6.11)");
	}
	close(fd);
	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	check_true(!iouring_bind(fd, (struct sockaddr *)&sa, sizeof(sa), &res) && res == 0,
		   "io_uring bind failed");
	l = expect_event(&a, "bind", port, "null");
	if (l)
		check_eq_num(l, "sock", (long)cookie_of(fd));
	close(fd);
	agent_free(&a);
	return T_PASS;
}

static int do_bind_exit(void *arg)
{
	struct bind_case *c = arg;
	int err;

	sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", c->port, 0, &err);
	_exit(err);	/* no close: the exit releases it */
}

static int t_bind_and_exit(void)
{
	struct bind_case c = { 0, 0, 0, free_port(SOCK_STREAM), 0, 0 };
	struct agent a;
	const char *l;

	if (!agent_start(&a, port_args(c.port)))
		return T_FAIL;
	check_true(in_child("shortlived", 0, do_bind_exit, &c) == 0, "bind failed");
	l = expect_event(&a, "bind", c.port, "null");
	if (l)
		check_eq_str(l, "comm", "shortlived");
	check_true(expect_event(&a, "close", c.port, NULL) != NULL, "no close at exit");
	agent_free(&a);
	return T_PASS;
}

static int do_evil(void *arg)
{
	prctl(PR_SET_NAME, "ev\"il\x1b[31m\\x");
	return do_bind_close(arg);
}

static int t_untrusted_comm(void)
{
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", free_port(SOCK_STREAM), 0, 0 };
	struct agent a;
	const char *l;

	if (!agent_start(&a, port_args(c.port)))
		return T_FAIL;
	in_child("x", 0, do_evil, &c);
	l = expect_event(&a, "bind", c.port, "null");
	if (l) {
		check_eq_str(l, "comm", "ev\\\"il\\u001b[31m\\\\x");
		check_true(!strchr(l, '\x1b'), "raw ESC in JSON output");
	}
	agent_free(&a);
	return T_PASS;
}

static int t_failed_filter(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, 0 };
	const char *extra[] = { "--port", port_s, "--failed", NULL };
	struct agent a;
	int err, holder;

	snprintf(port_s, sizeof(port_s), "%u", port);
	if (!agent_start(&a, extra))
		return T_FAIL;
	holder = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, &err);
	listen(holder, 4);
	in_child("latecomer", 0, do_latecomer, &c);
	expect_event(&a, "bind", port, "EADDRINUSE");
	close(holder);
	usleep(300000);
	agent_stop(&a);
	for (int i = 1; i < a.nlines; i++)
		if (!jis(a.lines[i], "event", "summary") && jis(a.lines[i], "errno", "null"))
			failf("--failed printed a success: %s", a.lines[i]);
	agent_free(&a);
	return T_PASS;
}

struct storm { int n; int ready_fd; };

static int do_storm(void *arg)
{
	struct storm *s = arg;
	char c;
	int err;

	/* wait until the agent, started with our pid, is ready */
	if (read(s->ready_fd, &c, 1) != 1)
		return 1;
	for (int i = 0; i < s->n; i++)
		close(sock_at(AF_INET, SOCK_DGRAM, "127.0.0.1", 0, 0, &err));
	return 0;
}

/* Delivered + dropped == generated, exactly: forced overload of a tiny ring. */
static int storm_case(const char *ringbuf, int n, bool want_drops)
{
	struct storm s = { n, -1 };
	const char *extra[] = { "--pid", NULL, "--ringbuf", ringbuf, NULL };
	char pid_s[16];
	struct agent a;
	int p[2], status;
	long binds, closes, dropped;
	const char *sum;
	pid_t child;

	if (pipe(p))
		return T_FAIL;
	s.ready_fd = p[0];
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "storm");
		close(p[1]);
		_exit(do_storm(&s));
	}
	close(p[0]);
	snprintf(pid_s, sizeof(pid_s), "%d", child);
	extra[1] = pid_s;
	if (!agent_start(&a, extra)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return T_FAIL;
	}
	if (write(p[1], "g", 1) != 1)
		failf("could not start the storm");
	close(p[1]);
	/* keep reading, or the agent blocks on a full pipe and the ring fills */
	while (waitpid(child, &status, WNOHANG) != child)
		agent_pump(&a, 0.01);
	agent_stop(&a);
	sum = a.nlines ? a.lines[a.nlines - 1] : "";
	if (check_true(jis(sum, "event", "summary"), "no summary line")) {
		binds = jnum(sum, "binds");
		closes = jnum(sum, "closes");
		dropped = jnum(sum, "dropped");
		if (binds + closes + dropped != 2L * n)
			failf("binds %ld + closes %ld + dropped %ld != %d generated",
			      binds, closes, dropped, 2 * n);
		if (want_drops && dropped == 0)
			failf("a %s-byte ring did not overflow", ringbuf);
		if (!want_drops && dropped)
			failf("%ld dropped with the default ring", dropped);
		printf("     storm: %d cycles, %ld binds, %ld closes, %ld dropped\n", n,
		       binds, closes, dropped);
	}
	agent_free(&a);
	return T_PASS;
}

/* BW_STORM_N shrinks the storm where the machine is slow (qemu TCG). */
static int storm_n(void)
{
	const char *s = getenv("BW_STORM_N");

	return s && atoi(s) > 0 ? atoi(s) : 20000;
}

static int t_storm_forced(void) { return storm_case("4096", storm_n(), true); }
static int t_storm_default(void) { return storm_case("4194304", storm_n(), false); }

static int count_bpf_progs(void)
{
	FILE *f = popen("bpftool prog show 2>/dev/null | grep -cE "
			"'name (cg_bind4|cg_post_bind4|fexit_inet_bind|tp_set_state|cg_sock_release)'",
			"r");
	int n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

static int t_sigkill_detaches(void)
{
	struct agent a;
	int before, during, after;

	/* earlier tests' programs are freed asynchronously: let them go first */
	for (int i = 0; i < 50 && (before = count_bpf_progs()) > 0; i++)
		usleep(100000);
	if (before < 0)
		SKIP("bpftool not available");
	if (!agent_start(&a, NULL))
		return T_FAIL;
	during = count_bpf_progs();
	kill(a.pid, SIGKILL);
	waitpid(a.pid, NULL, 0);
	a.pid = 0;
	for (int i = 0; i < 50 && (after = count_bpf_progs()) > before; i++)
		usleep(100000);
	check_true(during > before, "agent's programs not visible while it runs");
	if (after != before)
		failf("%d programs still loaded after SIGKILL (before %d)", after, before);
	close(a.out);
	agent_free(&a);
	return T_PASS;
}

/* Run the agent with args; returns its exit status, stderr into err. */
static int run_agent_cli(const char *const *args, char *err, size_t n)
{
	char cmd[1024];
	FILE *f;
	size_t len;

	snprintf(cmd, sizeof(cmd), "%s", agent_path);
	for (int i = 0; args[i]; i++) {
		strncat(cmd, " '", sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, args[i], sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, "'", sizeof(cmd) - strlen(cmd) - 1);
	}
	strncat(cmd, " 2>&1 >/dev/null; echo \"rc=$?\"", sizeof(cmd) - strlen(cmd) - 1);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	len = fread(err, 1, n - 1, f);
	err[len] = 0;
	pclose(f);
	return atoi(strstr(err, "rc=") ? strstr(err, "rc=") + 3 : "-1");
}

static int t_bad_options(void)
{
	static const struct { const char *args[4]; const char *needle; } cases[] = {
		{ { "--port", "65536", NULL }, "--port" },
		{ { "--port", "0", NULL }, "--port" },
		{ { "--port", "80x", NULL }, "--port" },
		{ { "--backend", "kprobe", NULL }, "--backend" },
		{ { "--ringbuf", "5000", NULL }, "--ringbuf" },
		{ { "--duration", "-1", NULL }, "--duration" },
		{ { "--pid", "abc", NULL }, "--pid" },
		{ { "stray", NULL }, "stray" },
	};
	char out[4096];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run_agent_cli(cases[i].args, out, sizeof(out));

		if (rc != 2 || !strstr(out, cases[i].needle))
			failf("%s %s: exit %d, message '%s'", cases[i].args[0],
			      cases[i].args[1] ? cases[i].args[1] : "", rc, out);
	}
	return T_PASS;
}

static const struct { const char *name; int (*fn)(void); } tests[] = {
	{ "bind_tcp4", t_tcp4 },
	{ "bind_udp4", t_udp4 },
	{ "bind_tcp6", t_tcp6 },
	{ "bind_udp6", t_udp6 },
	{ "bind_port0", t_port0 },
	{ "eaddrinuse_bind", t_eaddrinuse_bind },
	{ "eaddrinuse_listen", t_eaddrinuse_listen },
	{ "eacces_low_port", t_eacces },
	{ "eaddrnotavail_foreign", t_eaddrnotavail },
	{ "socket_options", t_options },
	{ "iouring_bind", t_iouring },
	{ "bind_and_exit", t_bind_and_exit },
	{ "untrusted_comm", t_untrusted_comm },
	{ "failed_filter", t_failed_filter },
	{ "storm_forced_drops", t_storm_forced },
	{ "storm_default_no_drops", t_storm_default },
	{ "sigkill_detaches", t_sigkill_detaches },
	{ "bad_options", t_bad_options },
};

int main(int argc, char **argv)
{
	const char *filter = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fprintf(stderr, "usage: ktest AGENT [--backend NAME] [--exact-errno] [FILTER]\n");
		return 2;
	}
	agent_path = argv[1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			backend_arg = argv[++i];
		else if (!strcmp(argv[i], "--exact-errno"))
			exact_arg = 1;
		else
			filter = argv[i];
	}
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	printf("# kernel tests: backend %s%s\n", backend_arg ? backend_arg : "auto",
	       exact_arg ? " (exact errno)" : "");
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!filter || strstr(tests[i].name, filter))
			run_test(tests[i].name, tests[i].fn);
	printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
