/* The sealed log against the real daemon (issue 12): a second daemon on one
 * directory, links and loose modes refused, a SIGKILL and a torn tail, key
 * files.  #included by ktest.c before its tests[] table. */

/* bindwatch daemon on dir for a second; its exit code, what it said in out. */
static int daemon_once(const char *dir, const char *extra1, const char *extra2, char *out,
		       size_t n)
{
	const char *args[10];
	int i = 0;

	args[i++] = "daemon";
	args[i++] = "--log-dir";
	args[i++] = dir;
	args[i++] = "--duration";
	args[i++] = "1";
	if (backend_arg) {
		args[i++] = "--backend";
		args[i++] = backend_arg;
	}
	if (extra1)
		args[i++] = extra1;
	if (extra2)
		args[i++] = extra2;
	args[i] = NULL;
	return run_agent_out(args, out, n);
}

/* Wait (at most 5 s) until the log holds n binds by comm; the count. */
static long wait_binds(const char *dir, const char *comm, long n)
{
	char want[64];
	long got = 0;

	snprintf(want, sizeof(want), "\"comm\":\"%s\"", comm);
	for (double end = mono_now() + 5; mono_now() < end; usleep(100000)) {
		got = log_count2(dir, "\"event\":\"bind\"", want);
		if (got >= n)
			break;
	}
	return got;
}

/* 4. a second daemon on the same directory is refused, the chain stays one */
static int t_log_second_daemon(void)
{
	char dir[] = "/tmp/bw-log2-XXXXXX", err[4096], out[4096];
	struct daemon_run d;
	int rc;

	if (!mkdtemp(dir) || !daemon_start(&d, dir, NULL))
		return T_FAIL;
	rc = daemon_once(dir, NULL, NULL, out, sizeof(out));
	daemon_stop(&d, err, sizeof(err));
	check_true(rc == 1, "a second daemon on one log dir was not refused");
	check_true(strstr(out, "locked by another bindwatch daemon") != NULL,
		   "no clear message for the second daemon");
	check_true(verify_rc(dir, out, sizeof(out)) == 0, "verify after the refused daemon");
	check_true(log_count(dir, "\"event\":\"ready\"") == 1, "the second daemon wrote records");
	rm_rf(dir);
	return T_PASS;
}

/* 7. a live file that is a link, a directory others can write to */
static int t_log_links_refused(void)
{
	char dir[] = "/tmp/bw-log7-XXXXXX", out[4096], cmd[700];

	if (!mkdtemp(dir))
		return T_FAIL;
	snprintf(cmd, sizeof(cmd), "cd %s && : > target && ln -s target bindwatch.log", dir);
	check_true(system(cmd) == 0, "setup");
	check_true(daemon_once(dir, NULL, NULL, out, sizeof(out)) == 1 &&
			   strstr(out, "symbolic link"),
		   "the daemon followed a symlinked bindwatch.log");
	snprintf(cmd, sizeof(cmd), "test ! -s %s/target", dir);
	check_true(system(cmd) == 0, "records were written through the link");
	snprintf(cmd, sizeof(cmd), "rm %s/bindwatch.log && chmod 0777 %s", dir, dir);
	check_true(system(cmd) == 0, "setup");
	check_true(daemon_once(dir, NULL, NULL, out, sizeof(out)) == 1 &&
			   strstr(out, "writable by others"),
		   "the daemon wrote into a world-writable log dir");
	rm_rf(dir);
	return T_PASS;
}

/* 2+3. SIGKILL: verify says the end is unproven; a torn tail is cut at restart */
static int t_log_kill_and_torn(void)
{
	char dir[] = "/tmp/bw-log3-XXXXXX", err[4096], out[4096], cmd[700];
	struct daemon_run d;
	int n = 10;

	if (!mkdtemp(dir) || !daemon_start(&d, dir, NULL))
		return T_FAIL;
	in_child("killbind", 0, do_n_binds, &n);
	check_true(wait_binds(dir, "killbind", n) == n, "binds before the kill missing");
	kill(d.pid, SIGKILL);
	waitpid(d.pid, NULL, 0);
	close(d.err_fd);
	check_true(verify_rc(dir, out, sizeof(out)) == 1 &&
			   strstr(out, "without a clean stop record"),
		   "verify called a killed daemon's log complete");
	snprintf(cmd, sizeof(cmd), "printf '{\"event\":\"bind\",\"comm\":\"to' >> %s/bindwatch.log",
		 dir);
	check_true(system(cmd) == 0, "setup");
	if (!daemon_start(&d, dir, NULL)) {
		rm_rf(dir);
		return T_FAIL;
	}
	/* daemon_start saw the first run's ready record: wait for the second's */
	for (double end = mono_now() + 20; mono_now() < end && log_count(dir, "\"event\":\"ready\"") < 2;)
		usleep(100000);
	in_child("afterbind", 0, do_n_binds, &n);
	wait_binds(dir, "afterbind", n);	/* flushed within --flush-ms (1 s) */
	daemon_stop(&d, err, sizeof(err));
	check_true(verify_rc(dir, out, sizeof(out)) == 0, "verify after a torn tail and restart");
	if (fail_why[0] == 0 && strstr(out, "intact") == NULL)
		failf("verify: %s", out);
	check_true(log_count(dir, "torn tail cut at start") == 1, "no gap record for the cut");
	{
		long got = log_count2(dir, "\"event\":\"bind\"", "\"comm\":\"afterbind\"");

		if (got != n)
			failf("binds after the restart: %ld in the log, want %d", got, n);
	}
	rm_rf(dir);
	return T_PASS;
}

/* 8. the key file: whole, private, a file */
static int t_log_key_file(void)
{
	char dir[] = "/tmp/bw-log8-XXXXXX", out[4096], cmd[1400], key[600];

	if (!mkdtemp(dir))
		return T_FAIL;
	snprintf(key, sizeof(key), "%s/key", dir);
	snprintf(cmd, sizeof(cmd), "head -c 64 /dev/urandom > %s && chmod 0644 %s", key, key);
	check_true(system(cmd) == 0, "setup");
	check_true(daemon_once(dir, "--key-file", key, out, sizeof(out)) == 1 &&
			   strstr(out, "readable or writable by others"),
		   "a world-readable key file was accepted");
	snprintf(cmd, sizeof(cmd), "head -c 2000 /dev/urandom > %s && chmod 0600 %s", key, key);
	check_true(system(cmd) == 0, "setup");
	check_true(daemon_once(dir, "--key-file", key, out, sizeof(out)) == 1 &&
			   strstr(out, "longer than 1024 bytes"),
		   "a 2000-byte key was accepted (and cut)");
	check_true(daemon_once(dir, "--key-file", dir, out, sizeof(out)) == 1 &&
			   strstr(out, "is a directory"),
		   "a directory as key file: unclear message");
	rm_rf(dir);
	return T_PASS;
}

/* 2. the anchor sent to syslog: what was cut from the end is counted from it */
static int t_log_syslog_anchor(void)
{
	char dir[] = "/tmp/bw-loga-XXXXXX", err[4096], out[4096], buf[8192], cmd[800];
	char anchor[200] = "", want[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *extra[] = { "--flush-ms", "100", NULL };
	struct daemon_run d;
	int fd, n = 10;

	if (!access("/dev/log", F_OK))
		SKIP("/dev/log exists (a syslog daemon, or another test's)");
	if (!mkdtemp(dir))
		return T_FAIL;
	strcpy(sa.sun_path, "/dev/log");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		rm_rf(dir);
		SKIP("cannot create /dev/log");
	}
	if (!daemon_start(&d, dir, extra))
		goto out;
	in_child("anchorbind", 0, do_n_binds, &n);
	wait_binds(dir, "anchorbind", n);
	daemon_stop(&d, err, sizeof(err));
	/* the last anchor datagram: "... log anchor DIR SEQ:HASH" */
	snprintf(want, sizeof(want), "log anchor %s ", dir);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;
		char *p;

		if (poll(&pfd, 1, 300) <= 0)
			break;
		r = recv(fd, buf, sizeof(buf) - 1, 0);
		buf[r > 0 ? r : 0] = 0;
		p = strstr(buf, want);
		if (p)
			snprintf(anchor, sizeof(anchor), "%.*s", (int)strcspn(p + strlen(want), " \n"),
				 p + strlen(want));
	}
	check_true(anchor[0] != 0, "no 'log anchor' datagram on /dev/log");
	if (anchor[0]) {
		const char *args[] = { "log", "verify", dir, "--anchor", anchor, NULL };

		check_true(run_agent_out(args, out, sizeof(out)) == 0 &&
				   strstr(out, "anchor matches"),
			   "verify --anchor on the intact log");
		/* cut 3 records off the end and the state file with them */
		snprintf(cmd, sizeof(cmd), "cd %s && head -n -3 bindwatch.log > x && "
			 "cat x > bindwatch.log && rm x bindwatch.anchor", dir);
		check_true(system(cmd) == 0, "setup");
		check_true(run_agent_out(args, out, sizeof(out)) == 1 &&
				   strstr(out, "3 records missing from the end"),
			   "verify --anchor did not count the cut records");
	}
out:
	close(fd);
	unlink("/dev/log");
	rm_rf(dir);
	return T_PASS;
}
