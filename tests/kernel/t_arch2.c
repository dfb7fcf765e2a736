/* Architecture, second pass (issue 11 leftovers).  #included by ktest.c. */

/*
 * A key file that is a FIFO is refused at once.  read_key() opened it
 * without O_NONBLOCK, so `log verify --key-file FIFO` blocked in open()
 * until something wrote to the FIFO; now the one bounded reader refuses it.
 */
static int t_key_file_fifo(void)
{
	char dir[] = "/tmp/bw-keyfifo-XXXXXX", key[64], cmd[512], out[4096];
	FILE *f;
	size_t n;
	int status, rc;

	if (!mkdtemp(dir)) {
		failf("mkdtemp: %s", strerror(errno));
		return T_FAIL;
	}
	snprintf(key, sizeof(key), "%s/k", dir);
	if (mkfifo(key, 0600)) {
		failf("mkfifo: %s", strerror(errno));
		rmdir(dir);
		return T_FAIL;
	}
	/* timeout(1) ends the old, blocked agent: exit 124 */
	snprintf(cmd, sizeof(cmd), "timeout 10 %s log verify %s --key-file %s 2>&1", agent_path,
		 dir, key);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = 0;
	status = f ? pclose(f) : -1;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	check_true(rc != 124, "log verify --key-file FIFO blocked until killed");
	check_true(rc == 1 && strstr(out, "failed to read key file") != NULL,
		   "a key file that is a FIFO was not refused");
	unlink(key);
	rmdir(dir);
	return T_PASS;
}
