/* Kernel-test harness: run the real agent, read its NDJSON, assert on it. */
#ifndef BW_KTEST_HARNESS_H
#define BW_KTEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 4096
#define LINE_MAX_LEN 8192

struct agent {
	pid_t pid;
	int out;		/* agent stdout */
	char *lines[MAX_LINES];
	int nlines;
	char partial[LINE_MAX_LEN * 2];
	size_t plen;
	char backend[32];
	char hooks[1024];	/* the ready line's "hooks" array, as JSON */
};

static const char *agent_path;
static const char *backend_arg;	/* NULL: let the agent choose */
static int exact_arg;
static int n_pass, n_fail, n_skip;
static char fail_why[512];

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;

	if (fail_why[0])
		return;	/* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(fail_why, sizeof(fail_why), fmt, ap);
	va_end(ap);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what the agent printed, waiting at most timeout seconds. */
static void agent_pump(struct agent *a, double timeout)
{
	struct pollfd pfd = { .fd = a->out, .events = POLLIN };
	char buf[65536];
	ssize_t n;
	char *nl;

	if (poll(&pfd, 1, (int)(timeout * 1000)) <= 0)
		return;
	n = read(a->out, buf, sizeof(buf));
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n; i++) {
		if (a->plen < sizeof(a->partial) - 1)
			a->partial[a->plen++] = buf[i];
		if (buf[i] != '\n')
			continue;
		a->partial[a->plen - 1] = 0;
		if (a->nlines == MAX_LINES)	/* keep the newest: the summary */
			free(a->lines[--a->nlines]);
		a->lines[a->nlines++] = strdup(a->partial);
		a->plen = 0;
	}
	(void)nl;
}

/*
 * Value of "key" in a flat JSON line: strings unquoted (escapes kept as is),
 * numbers, null, or an array's text with brackets.  false if absent.
 */
static bool jget(const char *line, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p, *q;
	size_t len;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (*p == '"') {
		for (q = ++p; *q && *q != '"'; q++)
			if (*q == '\\' && q[1])
				q++;
	} else if (*p == '[') {
		int depth = 0;

		for (q = p; *q; q++) {
			if (*q == '[' || *q == '{')
				depth++;
			if ((*q == ']' || *q == '}') && --depth == 0) {
				q++;
				break;
			}
		}
	} else {
		for (q = p; *q && *q != ',' && *q != '}'; q++)
			;
	}
	len = (size_t)(q - p);
	if (len >= n)
		len = n - 1;
	memcpy(out, p, len);
	out[len] = 0;
	return true;
}

static long jnum(const char *line, const char *key)
{
	char v[64];

	if (!jget(line, key, v, sizeof(v)))
		return -1;
	return strtol(v, NULL, 10);
}

static bool jis(const char *line, const char *key, const char *want)
{
	char v[512];

	return jget(line, key, v, sizeof(v)) && !strcmp(v, want);
}

/* Start `bindwatch [sub] --json [--backend B] [--exact-errno] extra...` (sub
 * NULL for the watch, extra NULL-terminated); wait for its ready line. */
static bool agent_start_sub(struct agent *a, const char *sub, const char *const *extra)
{
	const char *argv[48];
	int p[2], i = 0, k;
	double end;

	memset(a, 0, sizeof(*a));
	argv[i++] = agent_path;
	if (sub)
		argv[i++] = sub;
	argv[i++] = "--json";
	if (backend_arg) {
		argv[i++] = "--backend";
		argv[i++] = backend_arg;
	}
	if (exact_arg)
		argv[i++] = "--exact-errno";
	for (k = 0; extra && extra[k] && i < 46; k++)
		argv[i++] = extra[k];
	argv[i] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return false;
	a->pid = fork();
	if (a->pid < 0)
		return false;
	if (a->pid == 0) {
		dup2(p[1], 1);
		execv(agent_path, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	a->out = p[0];
	end = mono_now() + 20;
	while (mono_now() < end && a->nlines == 0)
		agent_pump(a, 0.2);
	if (a->nlines == 0 || !jis(a->lines[0], "event", "ready")) {
		failf("agent printed no ready line");
		return false;
	}
	jget(a->lines[0], "backend", a->backend, sizeof(a->backend));
	if (!jget(a->lines[0], "hooks", a->hooks, sizeof(a->hooks)))
		a->hooks[0] = 0;
	return true;
}

/* Start the agent with extra args (NULL-terminated); wait for its ready line. */
static bool agent_start(struct agent *a, const char *const *extra)
{
	return agent_start_sub(a, NULL, extra);
}

/* Did the agent say, in its ready line, that it attached this hook or feature? */
static bool agent_has_hook(const struct agent *a, const char *name)
{
	char pat[96];

	snprintf(pat, sizeof(pat), "\"%s\"", name);
	return strstr(a->hooks, pat) != NULL;
}

/* Stop the agent; its summary line is then the last line.  Returns its exit status. */
static int agent_stop(struct agent *a)
{
	int status = -1;
	double end = mono_now() + 10;

	if (a->pid <= 0)
		return -1;
	kill(a->pid, SIGTERM);
	while (mono_now() < end) {
		agent_pump(a, 0.1);
		if (waitpid(a->pid, &status, WNOHANG) == a->pid)
			break;
	}
	if (mono_now() >= end) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, &status, 0);
	}
	for (int i = 0; i < 5; i++)
		agent_pump(a, 0.05);
	close(a->out);
	a->pid = 0;
	return status;
}

static void agent_free(struct agent *a)
{
	if (a->pid > 0)
		agent_stop(a);
	for (int i = 0; i < a->nlines; i++)
		free(a->lines[i]);
	a->nlines = 0;
}

typedef bool (*line_pred)(const char *line, const void *arg);

/* Wait up to timeout s for a line matching pred; returns it or NULL. */
static const char *agent_wait(struct agent *a, line_pred pred, const void *arg,
			      double timeout)
{
	double end = mono_now() + timeout;
	int seen = 0;

	for (;;) {
		for (; seen < a->nlines; seen++)
			if (pred(a->lines[seen], arg))
				return a->lines[seen];
		if (mono_now() >= end)
			return NULL;
		agent_pump(a, 0.05);
	}
}

struct match {
	const char *event;
	long port;	/* -1: any */
	long sock;	/* -1: any */
	const char *errno_s;	/* NULL: any; "null" for success */
	long pid;	/* 0: any */
};

static bool match_pred(const char *line, const void *arg)
{
	const struct match *m = arg;

	if (!jis(line, "event", m->event))
		return false;
	if (m->port >= 0 && jnum(line, "port") != m->port)
		return false;
	if (m->sock >= 0 && jnum(line, "sock") != m->sock)
		return false;
	if (m->errno_s && !jis(line, "errno", m->errno_s))
		return false;
	if (m->pid && jnum(line, "pid") != m->pid)
		return false;
	return true;
}

static const char *expect_event(struct agent *a, const char *event, long port,
				const char *errno_s)
{
	struct match m = { event, port, -1, errno_s, 0 };
	const char *l = agent_wait(a, match_pred, &m, 5);

	if (!l)
		failf("no %s event for port %ld with errno %s", event, port,
		      errno_s ? errno_s : "any");
	return l;
}

static bool check_eq_str(const char *line, const char *key, const char *want)
{
	char v[512] = "";

	if (!line)
		return false;
	jget(line, key, v, sizeof(v));
	if (strcmp(v, want)) {
		failf("%s: got '%s', want '%s' in %s", key, v, want, line);
		return false;
	}
	return true;
}

static bool check_eq_num(const char *line, const char *key, long want)
{
	long v;

	if (!line)
		return false;
	v = jnum(line, key);
	if (v != want) {
		failf("%s: got %ld, want %ld in %s", key, v, want, line);
		return false;
	}
	return true;
}

static bool check_true(bool cond, const char *what)
{
	if (!cond)
		failf("%s", what);
	return cond;
}

enum { T_PASS, T_FAIL, T_SKIP };

/* A SKIP after a failf() is that failure: set-up that failed is never a skip. */
#define SKIP(...)								\
	do {									\
		if (fail_why[0])						\
			return T_FAIL;						\
		snprintf(fail_why, sizeof(fail_why), __VA_ARGS__);		\
		return T_SKIP;							\
	} while (0)

/* Remove a test's temporary folder and all in it. */
static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
		/* nothing left to clean */
	}
}

static void run_test(const char *name, int (*fn)(void))
{
	int r;

	fail_why[0] = 0;
	r = fn();
	if (r == T_PASS && fail_why[0])
		r = T_FAIL;
	switch (r) {
	case T_PASS:
		n_pass++;
		printf("ok   %s\n", name);
		break;
	case T_SKIP:
		n_skip++;
		printf("SKIP %s: %s\n", name, fail_why);
		break;
	default:
		n_fail++;
		printf("FAIL %s: %s\n", name, fail_why[0] ? fail_why : "failed");
		break;
	}
	fflush(stdout);
}

#endif
