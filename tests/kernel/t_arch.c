/* Architecture: the pairing stage against the real kernel, the harness's own
 * rules, and the subcommand table's option handling.  #included by ktest.c. */

#include <sys/stat.h>

/* A SKIP after a failf() must stay that failure. */
static int skip_after_fail(void)
{
	failf("set-up failed");
	SKIP("this must not hide the failure");
}

static int t_harness_skip_keeps_failure(void)
{
	int r = skip_after_fail();
	bool kept = r == T_FAIL && strstr(fail_why, "set-up failed") != NULL;

	fail_why[0] = 0;
	return check_true(kept, "SKIP() after failf() turned the failure into a skip") ?
		       T_PASS : T_FAIL;
}

static int do_two_listens(void *arg)
{
	unsigned short port = *(unsigned short *)arg;
	int e1, e2, a, b, r;

	a = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", port, 1, &e1);
	b = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", port, 1, &e2);
	if (e1 || e2 || listen(a, 4))
		return 1;
	r = listen(b, 4) ? errno : 0;
	close(a);	/* and exit at once: the holder is gone before anyone looks */
	close(b);
	return r == EADDRINUSE ? 0 : 2;
}

/*
 * Issue 10 item 7: one process binds a and b to a port with SO_REUSEADDR, a
 * listens, b's listen fails, the process exits.  On the cgroup backend a's
 * listen is still tentative when b's failure arrives: the holder is a.
 */
static int t_listen_holder_tentative(void)
{
	struct { unsigned short port; struct agent a; char holders[4096]; } t;
	const char *l;

	t.port = free_port(SOCK_STREAM);
	if (!agent_start(&t.a, port_args(t.port)))
		return T_FAIL;
	check_true(in_child("twolisten", 0, do_two_listens, &t.port) == 0,
		   "the second listen did not fail with EADDRINUSE");
	l = expect_event(&t.a, "listen", t.port, "EADDRINUSE");
	if (l && check_true(jget(l, "holders", t.holders, sizeof(t.holders)), "no holders key"))
		check_true(strstr(t.holders, "\"comm\":\"twolisten\"") &&
				   strstr(t.holders, "\"state\":\"listening\""),
			   "the failed listen does not name the other socket's listen as holder");
	agent_free(&t.a);
	return T_PASS;
}

/* `bindwatch registry` reads --registry files, and takes any number of FILEs. */
static int t_registry_cli(void)
{
	char path[] = "/tmp/bw-regcli-XXXXXX", out[16384];
	const char *text = "regcli-svc 47123/tcp warning regclid a test claim\n";
	const char *lookup[] = { "registry", "lookup", "47123/tcp", "--registry", path, NULL };
	const char *check[80];
	int fd = mkstemp(path), n = 0, rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		failf("could not write %s", path);
		if (fd >= 0)
			close(fd);
		unlink(path);
		return T_FAIL;
	}
	close(fd);
	rc = run_agent_out(lookup, out, sizeof(out));
	check_true(rc == 0 && strstr(out, "regcli-svc") != NULL,
		   "registry lookup ignored --registry FILE");
	/* 70 files: more than the 64 once kept silently */
	check[n++] = "registry";
	check[n++] = "check";
	for (int i = 0; i < 70; i++)
		check[n++] = path;
	check[n] = NULL;
	rc = run_agent_out(check, out, sizeof(out));
	{
		int oks = 0;

		for (const char *p = out; (p = strstr(p, ", ok")); p++)
			oks++;
		check_true(rc == 0 && oks == 70, "registry check dropped some of 70 FILEs");
	}
	unlink(path);
	return T_PASS;
}

/* A key file is used whole or refused: never a shorter key, never a directory. */
static int t_key_file_whole(void)
{
	char dir[] = "/tmp/bw-key-XXXXXX", key[64], out[4096];
	const char *args[] = { "log", "verify", dir, "--key-file", key, NULL };
	char big[2000];
	int fd, rc;

	if (!mkdtemp(dir))
		return T_FAIL;
	snprintf(key, sizeof(key), "%s/k", dir);
	memset(big, 'k', sizeof(big));
	fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	check_true(fd >= 0 && write(fd, big, sizeof(big)) == (ssize_t)sizeof(big),
		   "could not write the key");
	if (fd >= 0)
		close(fd);
	rc = run_agent_out(args, out, sizeof(out));
	check_true(rc == 1 && strstr(out, "longer than 1024 bytes") != NULL,
		   "a 2000-byte key was not refused by name");
	unlink(key);
	check_true(mkdir(key, 0700) == 0, "mkdir");
	rc = run_agent_out(args, out, sizeof(out));
	check_true(rc == 1 && strstr(out, "Is a directory") != NULL,
		   "a key that is a directory was not refused as one");
	rmdir(key);
	rmdir(dir);
	return T_PASS;
}
