/*
 * Real containers (issue 10): podman 4.3 (runc) and Docker 20.10 (dockerd
 * with the vfs storage driver, cgroupfs) as Debian installs them, running a
 * busybox-static image this file makes.  #included by ktest.c before its
 * tests[] table.  dockerd is started once per ktest run when none answers,
 * and stopped at exit; every container made here is removed, also on
 * failure.  Where a runtime cannot start, the test SKIPs with its error.
 */

#include <sys/stat.h>

#define CTR_IMAGE "bindwatch-test-bb"
/* runc sets the OCI default rlimits (nofile 1048576); raising a hard limit
 * needs CAP_SYS_RESOURCE, which a test host in a container may not have */
#define PODMAN_RUN "podman --runtime runc run --ulimit nofile=1024:1024 --ulimit nproc=1000:1000"
#define DOCKER "/usr/bin/docker"	/* Debian's 20.10 client: matches docker.io's dockerd */

static pid_t ctr_dockerd_pid;	/* the dockerd this run started, 0 if none */
static int ctr_docker_state;	/* 0 unknown, 1 up, -1 cannot start */
static int ctr_podman_state;
static char ctr_why_docker[256], ctr_why_podman[256];

/* Run a shell command, its stdout (first line, trimmed) into out; exit status. */
static int sh_out(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (out && len)
		out[0] = 0;
	if (!p)
		return -1;
	if (out && len) {
		n = fread(out, 1, len - 1, p);
		out[n] = 0;
		out[strcspn(out, "\n")] = 0;
	} else {
		char sink[512];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void ctr_dockerd_stop(void)
{
	if (ctr_dockerd_pid <= 0)
		return;
	kill(ctr_dockerd_pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(ctr_dockerd_pid, NULL, WNOHANG) == ctr_dockerd_pid)
			break;
		usleep(50000);
	}
	ctr_dockerd_pid = 0;
}

/* What this run imported is removed when it ends (atexit runs the newest
 * first: the docker image goes before the dockerd we may have started). */
static void ctr_podman_image_rm(void)
{
	sh_out("podman rmi -f " CTR_IMAGE " >/dev/null 2>&1", NULL, 0);
}

static void ctr_docker_image_rm(void)
{
	sh_out(DOCKER " rmi -f " CTR_IMAGE " >/dev/null 2>&1", NULL, 0);
}

/* A root filesystem with busybox-static, imported once per runtime and run. */
static bool ctr_image(const char *import_cmd, const char *exists_cmd, char *why, size_t wl)
{
	char dir[] = "/tmp/bw-rootfs-XXXXXX", cmd[1024], err[200];

	if (sh_out(exists_cmd, NULL, 0) == 0)
		return true;
	if (access("/bin/busybox", X_OK)) {
		snprintf(why, wl, "no /bin/busybox (package busybox-static)");
		return false;
	}
	if (!mkdtemp(dir))
		return false;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bin && cp /bin/busybox %s/bin/ && "
		 "for l in sh httpd sleep; do ln -s busybox %s/bin/$l; done && "
		 "tar -C %s -c . | %s - " CTR_IMAGE " 2>&1 >/dev/null | tail -1; rm -rf %s",
		 dir, dir, dir, dir, import_cmd, dir);
	sh_out(cmd, err, sizeof(err));
	if (sh_out(exists_cmd, NULL, 0) == 0) {
		atexit(strncmp(import_cmd, "podman", 6) ? ctr_docker_image_rm : ctr_podman_image_rm);
		return true;
	}
	snprintf(why, wl, "image import failed: %s", err);
	return false;
}

static bool podman_up(void)
{
	char out[200];

	if (ctr_podman_state)
		return ctr_podman_state > 0;
	ctr_podman_state = -1;
	if (sh_out("command -v podman && command -v runc", NULL, 0)) {
		snprintf(ctr_why_podman, sizeof(ctr_why_podman), "podman or runc not installed");
		return false;
	}
	if (!ctr_image("podman import", "podman image exists " CTR_IMAGE, ctr_why_podman,
		       sizeof(ctr_why_podman)))
		return false;
	/* can a container start at all here? */
	if (sh_out(PODMAN_RUN " --rm --network host " CTR_IMAGE " sh -c : 2>&1 | tail -1",
		   out, sizeof(out)) || out[0]) {
		snprintf(ctr_why_podman, sizeof(ctr_why_podman), "podman cannot run a container: %s",
			 out);
		return false;
	}
	ctr_podman_state = 1;
	return true;
}

static bool docker_up(void)
{
	if (ctr_docker_state)
		return ctr_docker_state > 0;
	ctr_docker_state = -1;
	if (access(DOCKER, X_OK) || sh_out("command -v dockerd", NULL, 0)) {
		snprintf(ctr_why_docker, sizeof(ctr_why_docker), "docker.io not installed");
		return false;
	}
	if (sh_out("timeout 5 " DOCKER " version >/dev/null 2>&1", NULL, 0)) {
		ctr_dockerd_pid = fork();
		if (ctr_dockerd_pid == 0) {
			int fd = open("/tmp/bindwatch-ktest-dockerd.log",
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			setsid();
			execlp("dockerd", "dockerd", "--storage-driver", "vfs", (char *)NULL);
			_exit(127);
		}
		atexit(ctr_dockerd_stop);
		for (int i = 0; i < 60; i++) {
			if (!sh_out("timeout 5 " DOCKER " version >/dev/null 2>&1", NULL, 0))
				break;
			if (waitpid(ctr_dockerd_pid, NULL, WNOHANG) == ctr_dockerd_pid) {
				ctr_dockerd_pid = 0;
				sh_out("tail -1 /tmp/bindwatch-ktest-dockerd.log", ctr_why_docker,
				       sizeof(ctr_why_docker));
				return false;
			}
			usleep(250000);
		}
		if (sh_out("timeout 5 " DOCKER " version >/dev/null 2>&1", NULL, 0)) {
			snprintf(ctr_why_docker, sizeof(ctr_why_docker), "dockerd did not answer in 15 s");
			ctr_dockerd_stop();
			return false;
		}
	}
	if (!ctr_image(DOCKER " import", DOCKER " image inspect " CTR_IMAGE " >/dev/null 2>&1",
		       ctr_why_docker, sizeof(ctr_why_docker)))
		return false;
	ctr_docker_state = 1;
	return true;
}

/* Wait for a line matching pred, longer than expect_event: runtimes are slow. */
static const char *ctr_wait(struct agent *a, const char *event, long port, const char *errno_s,
			    const char *must)
{
	double end = mono_now() + 20;
	int seen = 0;
	struct match m = { event, port, -1, errno_s, 0 };

	for (;;) {
		for (; seen < a->nlines; seen++)
			if (match_pred(a->lines[seen], &m) && (!must || strstr(a->lines[seen], must)))
				return a->lines[seen];
		if (mono_now() >= end)
			break;
		agent_pump(a, 0.1);
	}
	failf("no %s event on port %ld%s%s%s", event, port, must ? " with " : "", must ? must : "",
	      a->nlines ? "" : " (agent printed nothing)");
	return NULL;
}

static bool has_ctr(const char *line, const char *runtime, const char *id, const char *name)
{
	char want[400];

	snprintf(want, sizeof(want), "\"container\":{\"runtime\":\"%s\",\"id\":\"%s\",\"name\":\"%s\"",
		 runtime, id, name);
	return line && strstr(line, want);
}

static void ctr_names(char *a, char *b, size_t len)
{
	unsigned r = (unsigned)rand();

	snprintf(a, len, "bwt-%d-%x-a", getpid(), r);
	snprintf(b, len, "bwt-%d-%x-b", getpid(), r);
}

static void ctr_rm(const char *rt_cmd, const char *name)
{
	char cmd[300];

	/* -t 0: httpd as pid 1 ignores SIGTERM, podman would wait 10 s */
	snprintf(cmd, sizeof(cmd), "%s rm -f %s %s >/dev/null 2>&1", rt_cmd,
		 strcmp(rt_cmd, "podman") ? "" : "-t 0", name);
	sh_out(cmd, NULL, 0);
}

/* The print-out of the agent for the report: the failure line. */
/* Run cmd, a detached `run -d`: its stdout must be the new container's
 * 64-hex id (into id).  False, and the test failed naming what, if not. */
static bool ctr_started(const char *cmd, const char *what, char *id, size_t idlen)
{
	if (sh_out(cmd, id, idlen) || strlen(id) != 64) {
		failf("%s failed: %s", what, id);
		return false;
	}
	return true;
}

/* The id of container name (it may have exited) by `RT inspect`, "" if none. */
static void ctr_id(const char *rt_cmd, const char *name, char *id, size_t idlen)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "%s inspect -f '{{.Id}}' %s", rt_cmd, name);
	sh_out(cmd, id, idlen);
}

/*
 * `RUN -d --name NAME -p PORT:80 IMAGE httpd` (RUN: the runtime's run
 * command): a container with a published port, its 64-hex id into id.
 * False, and the test failed naming rt, if it did not start.
 */
static bool ctr_run_published(const char *run, const char *rt, const char *name,
			      unsigned short port, char *id, size_t idlen)
{
	char cmd[600], what[32];

	snprintf(cmd, sizeof(cmd), "%s -d --name %s -p %u:80 " CTR_IMAGE " httpd -f -p 80 2>/dev/null",
		 run, name, port);
	snprintf(what, sizeof(what), "%s run -p", rt);
	return ctr_started(cmd, what, id, idlen);
}

/* `bindwatch who PORT [--json]`: its whole output, stderr too, into out. */
static void who_out(unsigned short port, bool json, char *out, size_t len)
{
	char cmd[600];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s who %u%s 2>&1", agent_path, port, json ? " --json" : "");
	p = popen(cmd, "r");
	n = p ? fread(out, 1, len - 1, p) : 0;
	out[n] = 0;
	if (p)
		pclose(p);
}

static void ctr_show(const char *what, const char *line)
{
	if (line && getenv("BW_KTEST_SHOW"))
		printf("# %s: %s\n", what, line);
}

/*
 * Podman holds a port on the host network; a Docker container on the host
 * network then fails to bind it and exits at once.  The failure names the
 * failing container (its cgroup is gone by the time it is reported) and the
 * holder's; a docker-proxy that fails on the same port names the container
 * it was starting.
 */
static int t_ctr_podman_holds_docker_fails(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	char holder[64], late[64], hid[128] = "", lid[128] = "", pid3[128] = "", cmd[600];
	char proxied[80], want[300];
	struct agent a;
	const char *l;

	if (!podman_up())
		SKIP("%s", ctr_why_podman);
	if (!docker_up())
		SKIP("%s", ctr_why_docker);
	ctr_names(holder, late, sizeof(holder));
	snprintf(proxied, sizeof(proxied), "%s-p", late);
	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	snprintf(cmd, sizeof(cmd), PODMAN_RUN " -d --name %s --network host " CTR_IMAGE
		 " httpd -f -p %u 2>/dev/null", holder, port);
	if (!ctr_started(cmd, "podman run", hid, sizeof(hid)))
		goto out;
	l = ctr_wait(&a, "listen", port, "null", NULL);
	check_true(has_ctr(l, "podman", hid, holder), "podman container's listen not named");
	snprintf(cmd, sizeof(cmd), DOCKER " run --name %s --network host " CTR_IMAGE
		 " httpd -f -p %u >/dev/null 2>&1", late, port);
	check_true(sh_out(cmd, NULL, 0) != 0, "the second httpd did not fail");
	ctr_id(DOCKER, late, lid, sizeof(lid));
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"runtime\":\"docker\"");
	ctr_show("docker host-network container fails, podman holds", l);
	check_true(has_ctr(l, "docker", lid, late), "the failing docker container is not named");
	check_true(has_ctr(l, "podman", hid, holder), "the holder's podman container is not named");
	snprintf(want, sizeof(want), "holder is podman container %.12s (%s)", hid, holder);
	check_true(l && strstr(l, want), "the collision message does not name the holder's container");
	/* docker-proxy fails for a published port: the container it was starting */
	snprintf(cmd, sizeof(cmd), DOCKER " run -d --name %s -p %u:80 " CTR_IMAGE
		 " httpd -f -p 80 >/dev/null 2>&1", proxied, port);
	check_true(sh_out(cmd, NULL, 0) != 0, "docker run -p did not fail");
	ctr_id(DOCKER, proxied, pid3, sizeof(pid3));
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"comm\":\"docker-proxy\"");
	ctr_show("docker-proxy fails, podman holds", l);
	check_true(has_ctr(l, "docker", pid3, proxied), "the failing docker-proxy's container not named");
	check_true(l && strstr(l, "\"source\":\"hostconfig.json"), "no source for the proxy's container");
out:
	agent_free(&a);
	ctr_rm("podman", holder);
	ctr_rm(DOCKER, late);
	ctr_rm(DOCKER, proxied);
	return T_PASS;
}

/*
 * Docker holds (a container with 300 labels, one of them "Name", so its
 * config.v2.json is ~30 KB with Name near the end); a podman container on
 * the host network fails, and podman's own reservation of a published port
 * fails too: each is named.
 */
static int t_ctr_docker_holds_podman_fails(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	char holder[64], late[64], hid[128] = "", lid[128] = "", cmd[700], want[300];
	char labels[] = "/tmp/bw-labels-XXXXXX", published[80];
	struct agent a;
	const char *l;
	FILE *f;
	int fd;

	if (!podman_up())
		SKIP("%s", ctr_why_podman);
	if (!docker_up())
		SKIP("%s", ctr_why_docker);
	ctr_names(holder, late, sizeof(holder));
	snprintf(published, sizeof(published), "%s-p", late);
	fd = mkstemp(labels);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return T_FAIL;
	fprintf(f, "Name=/kube-apiserver\nIPAddress=172.17.0.250\n");
	for (int i = 0; i < 300; i++)
		fprintf(f, "bindwatch.test.label%03d=%080d\n", i, i);
	fclose(f);
	if (!agent_start(&a, port_args(port)))
		goto out;
	snprintf(cmd, sizeof(cmd), DOCKER " run -d --name %s --label-file %s --network host "
		 CTR_IMAGE " httpd -f -p %u 2>/dev/null", holder, labels, port);
	if (!ctr_started(cmd, "docker run", hid, sizeof(hid)))
		goto out;
	l = ctr_wait(&a, "listen", port, "null", NULL);
	check_true(has_ctr(l, "docker", hid, holder), "docker container (300 labels) not named");
	snprintf(cmd, sizeof(cmd), PODMAN_RUN " --name %s --network host " CTR_IMAGE
		 " httpd -f -p %u >/dev/null 2>&1", late, port);
	check_true(sh_out(cmd, NULL, 0) != 0, "the second httpd did not fail");
	ctr_id("podman", late, lid, sizeof(lid));
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"runtime\":\"podman\"");
	ctr_show("podman host-network container fails, docker holds", l);
	check_true(has_ctr(l, "podman", lid, late), "the failing podman container is not named");
	check_true(has_ctr(l, "docker", hid, holder), "the holder's docker container is not named");
	snprintf(want, sizeof(want), "holder is docker container %.12s (%s)", hid, holder);
	check_true(l && strstr(l, want), "the collision message does not name the holder's container");
	check_true(l && !strstr(l, "kube-apiserver"), "a label renamed the container");
	/* podman reserves a published port itself, then fails */
	snprintf(cmd, sizeof(cmd), PODMAN_RUN " -d --name %s -p %u:80 " CTR_IMAGE
		 " httpd -f -p 80 >/dev/null 2>&1", published, port);
	check_true(sh_out(cmd, NULL, 0) != 0, "podman run -p did not fail");
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"comm\":\"podman\"");
	ctr_show("podman port reservation fails, docker holds", l);
	snprintf(want, sizeof(want), "\"name\":\"%s\",", published);
	check_true(l && strstr(l, want), "podman's failing reservation does not name its container");
	check_true(l && strstr(l, "\"source\":\"podman --name"), "no source for podman's container");
out:
	agent_free(&a);
	unlink(labels);
	ctr_rm(DOCKER, holder);
	ctr_rm("podman", late);
	ctr_rm("podman", published);
	return T_PASS;
}

/*
 * The agent in text mode (no --json) for 4 s on port, fn run once it
 * watches; its whole output (stdout and stderr) into out.
 */
static bool text_agent(unsigned short port, int (*fn)(void *), void *arg, char *out, size_t len)
{
	char path[] = "/tmp/bw-text-XXXXXX", p[16];
	int fd = mkstemp(path), status;
	double end = mono_now() + 15;
	bool watching = false;
	ssize_t n = 0;
	pid_t pid;

	out[0] = 0;
	if (fd < 0)
		return false;
	snprintf(p, sizeof(p), "%u", port);
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execl(agent_path, agent_path, "--port", p, "--duration", "4",
		      backend_arg ? "--backend" : (char *)NULL, backend_arg, (char *)NULL);
		_exit(127);
	}
	while (!watching && mono_now() < end && waitpid(pid, &status, WNOHANG) == 0) {
		n = pread(fd, out, len - 1, 0);
		out[n > 0 ? n : 0] = 0;
		watching = strstr(out, "watching") != NULL;
		usleep(50000);
	}
	if (watching)
		in_child("latecomer", 0, fn, arg);
	waitpid(pid, &status, 0);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return watching;
}

/*
 * The real docker-proxy holds a published port: a host process that fails
 * to bind it learns which container the port is for, in JSON and in the
 * collision message.
 */
static int t_ctr_docker_proxy(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, 0 };
	char name[64], other[64], id[128] = "", want[300];
	struct agent a;
	const char *l;

	if (!docker_up())
		SKIP("%s", ctr_why_docker);
	ctr_names(name, other, sizeof(name));
	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	if (!ctr_run_published(DOCKER " run", "docker", name, port, id, sizeof(id)))
		goto out;
	ctr_wait(&a, "listen", port, "null", "\"comm\":\"docker-proxy\"");
	in_child("latecomer", 0, do_latecomer, &c);
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"comm\":\"latecomer\"");
	ctr_show("host process fails, docker-proxy holds", l);
	check_true(l && strstr(l, "\"comm\":\"docker-proxy\""), "holder is not docker-proxy");
	check_true(has_ctr(l, "docker", id, name), "docker-proxy's container not named");
	check_true(l && strstr(l, "\"proxy_for\":{\"ip\":\"172."), "no proxy_for");
	snprintf(want, sizeof(want), "holder is docker container %.12s (%s), through docker-proxy",
		 id, name);
	check_true(l && strstr(l, want), "the collision message does not name the container");
	/* the agent's own text output names the container too */
	{
		char out[8192];

		check_true(text_agent(port, do_latecomer, &c, out, sizeof(out)), "the text agent did not start");
		snprintf(want, sizeof(want), "in docker container %s (%.12s) through docker-proxy", name, id);
		check_true(strstr(out, "held by docker-proxy[") && strstr(out, want),
			   "the text output does not name the proxy's container");
	}
	/* who, in text (the CONTAINER column) and JSON */
	{
		char out[4096] = "", js[8192] = "";

		who_out(port, false, out, sizeof(out));
		snprintf(want, sizeof(want), "docker-proxy        0 %s", name);
		check_true(strstr(out, "CONTAINER") && strstr(out, want),
			   "who (text) does not name the proxy's container");
		who_out(port, true, js, sizeof(js));
		check_true(has_ctr(js, "docker", id, name), "who --json does not name the proxy's container");
		if (fail_why[0] && getenv("BW_KTEST_SHOW"))
			printf("# who: %s\n", out);
	}
out:
	agent_free(&a);
	ctr_rm(DOCKER, name);
	return T_PASS;
}

/*
 * A process binds and listens, forks and exits; its child keeps the socket
 * (podman handing a port to conmon, socket activation, pre-fork servers).
 * The holder is the live child, the dead binder is bound_by, exited.
 */
static int t_fork_exit_holder(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, 0 };
	int hold[2] = { -1, -1 }, rep[2] = { -1, -1 }, status;
	pid_t binder, keeper = 0;
	char want[200];
	struct agent a;
	const char *l;

	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	if (pipe(hold) || pipe(rep))
		goto out;
	binder = fork();
	if (binder == 0) {
		int err, fd;
		pid_t k;

		prctl(PR_SET_NAME, "binder");
		fd = sock_at(AF_INET, SOCK_STREAM, "0.0.0.0", port, 0, &err);
		if (fd < 0 || err || listen(fd, 4))
			_exit(1);
		k = fork();
		if (k == 0) {
			char ch;

			prctl(PR_SET_NAME, "keeper");
			close(hold[1]);
			while (read(hold[0], &ch, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		_exit(write(rep[1], &k, sizeof(k)) == sizeof(k) ? 0 : 1);
	}
	close(hold[0]);
	close(rep[1]);
	hold[0] = rep[1] = -1;
	waitpid(binder, &status, 0);
	if (read(rep[0], &keeper, sizeof(keeper)) != sizeof(keeper) || keeper <= 0) {
		failf("the binder could not start its child");
		goto out;
	}
	expect_event(&a, "listen", port, "null");
	in_child("latecomer", 0, do_latecomer, &c);
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"comm\":\"latecomer\"");
	ctr_show("fork-and-exit holder", l);
	check_true(holders_name(l, keeper, "keeper"), "the holder is not the live child");
	snprintf(want, sizeof(want), "\"bound_by\":{\"pid\":%d,\"comm\":\"binder\",\"exited\":true}",
		 binder);
	check_true(l && strstr(l, want), "the dead binder is not bound_by, exited");
	snprintf(want, sizeof(want), "held by keeper[%d]", keeper);
	check_true(l && strstr(l, want), "the message does not name the live child");
	snprintf(want, sizeof(want), "bound by binder[%d] (exited)", binder);
	check_true(l && strstr(l, want), "the message does not name the dead binder");
out:
	agent_free(&a);
	for (int i = 0; i < 2; i++) {
		if (hold[i] >= 0)
			close(hold[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	if (keeper > 0)
		kill(keeper, SIGKILL);
	return T_PASS;
}

/* Start python3 ARGS... in dir, output to /dev/null; its pid, or -1. */
static pid_t python_start(const char *dir, const char *const *args)
{
	const char *argv[8] = { "python3" };
	pid_t pid;
	int i;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (dir && chdir(dir))
			_exit(126);
		execv("/usr/bin/python3", (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void python_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/*
 * 60610 is the Bluesky Queue Server's HTTP port.  python*@PROGRAM holders:
 * a Python program that is not the Queue Server (here "python3 -m
 * http.server", as a Django dev server would be) gets the claim; the
 * service's own module ("python3 -m bluesky_httpserver", a stand-in module
 * of that name) does not.
 */
static int t_python_claim_cmdline(void)
{
	const char *extra[] = { "--port", "60610", NULL };
	const char *other[] = { "-m", "http.server", "--bind", "127.0.0.1", "60610", NULL };
	const char *real[] = { "-m", "bluesky_httpserver", NULL };
	struct bind_case probe = { AF_INET, SOCK_STREAM, "127.0.0.1", 60610, 0, 0 };
	char dir[] = "/tmp/bw-py-XXXXXX", path[300];
	struct agent a;
	const char *l;
	pid_t pid = -1;
	FILE *f;

	if (access("/usr/bin/python3", X_OK))
		SKIP("no /usr/bin/python3");
	if (in_child("probe", 0, do_bind_close, &probe))
		SKIP("port 60610 is busy on this host");
	if (!mkdtemp(dir))
		return T_FAIL;
	snprintf(path, sizeof(path), "%s/bluesky_httpserver", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bluesky_httpserver/__main__.py", dir);
	f = fopen(path, "w");
	if (!f)
		return T_FAIL;
	fprintf(f, "import http.server\nhttp.server.HTTPServer(('127.0.0.1', 60610), "
		"http.server.BaseHTTPRequestHandler).serve_forever()\n");
	fclose(f);
	if (!agent_start(&a, extra))
		goto out;
	pid = python_start(NULL, other);
	l = ctr_wait(&a, "bind", 60610, "null", "\"comm\":\"python3\"");
	check_true(has_claim(l, "bluesky-queueserver-http"),
		   "python3 -m http.server on 60610 got no claim flag");
	python_stop(pid);
	pid = python_start(dir, real);
	{
		struct match m = { "bind", 60610, -1, "null", pid };

		l = agent_wait(&a, match_pred, &m, 20);
	}
	check_true(l != NULL, "the service's bind on 60610 not seen");
	check_true(l && !strstr(l, "\"kind\":\"claim\""), "the Queue Server's own module was flagged");
out:
	python_stop(pid);
	agent_free(&a);
	rm_rf(dir);
	return T_PASS;
}

/* who reads comm whole: a '\n' inside it (prctl takes any byte) is shown
 * escaped, not taken for the end (issue 12). */
static int t_who_comm_newline(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct server sv = { 0 };
	char js[8192] = "";

	if (!serve(&sv, "ab\ncd", NULL, "4", "127.0.0.1", port, "l"))
		return T_FAIL;
	who_out(port, true, js, sizeof(js));
	check_true(strstr(js, "\"comm\":\"ab\\u000acd\"") != NULL, "who cut the comm at its newline");
	unserve(&sv);
	/* the text COMM column pads, never cuts inside an escape */
	port = free_port(SOCK_STREAM);
	if (!serve(&sv, "\xff\xfe\xff\xfe", NULL, "4", "127.0.0.1", port, "l"))
		return T_FAIL;
	who_out(port, false, js, sizeof(js));
	check_true(strstr(js, " \\xff\\xfe\\xff\\xfe ") != NULL, "who's COMM column split an escape");
	unserve(&sv);
	return T_PASS;
}

/*
 * nginx at a 312-byte path, on a port this host gives to nginx: no claim.
 * Cutting its path at 255 bytes made it "someone else" (issue 12 item 11).
 */
static int t_exe_long_path(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	char dir[] = "/tmp/bw-long-XXXXXX", exe[600], reg[700], cmd[1400], text[256];
	const char *extra[] = { "--port", port_s, "--registry", reg, NULL };
	struct agent a;
	const char *l;
	pid_t pid = -1;
	int in[2] = { -1, -1 };
	FILE *f;

	if (!mkdtemp(dir))
		return T_FAIL;
	snprintf(exe, sizeof(exe), "%s/%0100d/%0100d/%0100d", dir, 1, 2, 3);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp /proc/%d/exe %s/nginx", exe, getpid(), exe);
	strcat(exe, "/nginx");
	snprintf(reg, sizeof(reg), "%s/site.conf", dir);
	f = fopen(reg, "w");
	if (!f || sh_out(cmd, NULL, 0)) {
		if (f)
			fclose(f);
		failf("fixture");
		goto out;
	}
	snprintf(text, sizeof(text), "nginx-here %u/tcp error nginx this host's nginx\n", port);
	fputs(text, f);
	fclose(f);
	check_true(strlen(exe) > 300, "path not long enough");
	snprintf(port_s, sizeof(port_s), "%u", port);
	if (!agent_start(&a, extra))
		goto out;
	if (pipe2(in, O_CLOEXEC))
		goto out_agent;
	pid = fork();
	if (pid == 0) {
		char p[16];

		int null = open("/dev/null", O_WRONLY);

		dup2(in[0], 0);
		if (null >= 0)
			dup2(null, 1);
		snprintf(p, sizeof(p), "%u", port);
		/* comm "worker": only the executable's name says nginx */
		execl(exe, "worker", "--serve", "4", "127.0.0.1", p, "l", (char *)NULL);
		_exit(127);
	}
	{
		struct match m = { "bind", port, -1, "null", pid };

		l = agent_wait(&a, match_pred, &m, 10);
	}
	check_true(l != NULL, "nginx's bind not seen");
	check_true(l && strstr(l, "\"comm\":\"worker\""), "the server is not named worker");
	check_true(l && !strstr(l, "\"kind\":\"claim\""), "nginx at a long path was flagged as another program");
	check_true(l && strstr(l, "/nginx\""), "the executable path was cut");
out_agent:
	agent_free(&a);
out:
	if (in[1] >= 0)
		close(in[1]);
	if (in[0] >= 0)
		close(in[0]);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	rm_rf(dir);
	return T_PASS;
}

/*
 * podman run -p: podman binds the host port and hands it to conmon, then
 * exits.  A host process that fails on the port learns the live holder
 * (conmon), the container it holds the port for, and that podman bound it.
 */
static int t_ctr_podman_published(void)
{
	unsigned short port = free_port(SOCK_STREAM);
	struct bind_case c = { AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, 0 };
	char name[64], other[64], id[128] = "", want[300];
	struct agent a;
	const char *l;

	if (!podman_up())
		SKIP("%s", ctr_why_podman);
	ctr_names(name, other, sizeof(name));
	if (!agent_start(&a, port_args(port)))
		return T_FAIL;
	if (!ctr_run_published(PODMAN_RUN, "podman", name, port, id, sizeof(id)))
		goto out;
	ctr_wait(&a, "bind", port, "null", "\"comm\":\"podman\"");
	in_child("latecomer", 0, do_latecomer, &c);
	l = ctr_wait(&a, "bind", port, "EADDRINUSE", "\"comm\":\"latecomer\"");
	ctr_show("host process fails, podman's conmon holds", l);
	check_true(l && strstr(l, "\"holders\":[{\"pid\":") && strstr(l, "\"comm\":\"conmon\""),
		   "the holder is not conmon");
	check_true(has_ctr(l, "podman", id, name), "conmon's container not named");
	check_true(l && strstr(l, "\"bound_by\":{\"pid\":") && strstr(l, "\"comm\":\"podman\",\"exited\":true}"),
		   "podman, which bound the port and exited, is not bound_by");
	snprintf(want, sizeof(want), "holder is podman container %.12s (%s)", id, name);
	check_true(l && strstr(l, want), "the collision message does not name the container");
out:
	agent_free(&a);
	ctr_rm("podman", name);
	return T_PASS;
}
