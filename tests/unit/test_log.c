/* The sealed log, writer and reader, on temp dirs: each case is one way the
 * record could be fooled or lost (issue 12, items 1-5, 7, 8 and the smaller
 * history/gzip findings). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "keyfile.h"
#include "logfile.h"
#include "logread.h"
#include "tap.h"

static char out[65536];	/* what the last captured call printed, stdout + stderr */

/* Run fn(arg) with stdout and stderr into out; returns fn's value. */
static int capture(int (*fn)(void *), void *arg)
{
	char tmpl[] = "/tmp/bw-ut-out-XXXXXX";
	int fd = mkstemp(tmpl), o1 = dup(1), o2 = dup(2), rc;
	ssize_t n;

	unlink(tmpl);
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	rc = fn(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	return rc;
}

struct vargs {
	const char *dir;
	const struct log_anchor *anchor;
	const unsigned char *key;
	size_t keylen;
};

static int verify_fn(void *a)
{
	struct vargs *v = a;

	return log_verify_anchored(v->dir, v->key, v->keylen, v->anchor, 0);
}

static int verify(const char *dir, const struct log_anchor *anchor)
{
	struct vargs v = { dir, anchor, NULL, 0 };

	return capture(verify_fn, &v);
}

static void sh(const char *fmt, const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, dir, dir, dir, dir);
	if (system(cmd))
		printf("# command failed: %s\n", cmd);
}

static char *mkdir_tmp(char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/bw-ut-log-XXXXXX");
	return mkdtemp(buf);
}

static void rmdir_tmp(const char *dir)
{
	sh("chmod -R u+rwX %s 2>/dev/null; rm -rf %s", dir);
}

static struct logw_opts opts(const char *dir)
{
	struct logw_opts o = { dir, 1000, 1000, 0, 10, NULL, 0 };

	return o;
}

/* n records about port 5000+i, through the real writer; 0 or -errno. */
static int write_records(const struct logw_opts *o, int n)
{
	struct logw *w;
	char json[256];
	int err = logw__open(o, &w);

	if (err)
		return err;
	for (int i = 0; i < n && !err; i++) {
		snprintf(json, sizeof(json),
			 "{\"event\":\"bind\",\"ts\":\"2026-11-28T05:00:%02d.000000Z\",\"pid\":%d,"
			 "\"comm\":\"t\",\"proto\":\"tcp\",\"addr\":\"0.0.0.0\",\"port\":%d,"
			 "\"requested_port\":%d,\"errno\":null,\"sock\":%d}",
			 i % 60, 100 + i, 5000 + i, 5000 + i, 1 + i);
		err = logw__append(w, json, strlen(json));
	}
	logw__close(w);
	return err;
}

/* A fresh folder d (n bytes) and writer options *o for it. */
static void log_dir(char *d, size_t n, struct logw_opts *o)
{
	mkdir_tmp(d, n);
	*o = opts(d);
}

/* A fresh folder with a log rotated a few times: 60 records, 4 KiB files. */
static void rotated_log(char *d, size_t n, struct logw_opts *o)
{
	log_dir(d, n, o);
	o->max_size = 4096;
	write_records(o, 60);
}

/* The number a shell command prints, -1 if it prints none. */
static long sh_num(const char *cmd)
{
	long n = -1;
	FILE *f = popen(cmd, "r");

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		pclose(f);
	return n;
}

static long count_in(const char *dir, const char *pattern)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cd %s && cat bindwatch.log | grep -c '%s'", dir, pattern);
	return sh_num(cmd);
}

static void t_intact(void)
{
	char d[64];
	struct logw_opts o;

	log_dir(d, sizeof(d), &o);
	CHECK(write_records(&o, 20) == 0, "write");
	CHECK(verify(d, NULL) == 0, "intact log fails verify: %s", out);
	CHECK(strstr(out, "chain intact") && strstr(out, "clean stop"), "verify says: %s", out);
	CHECK(count_in(d, "\"event\":\"log_stop\"") == 1, "no log_stop record");
	rmdir_tmp(d);
}

/* 1. a NUL hides what follows it from a reader that stops at NUL */
static void t_nul_hides(void)
{
	char d[64];
	struct logw_opts o;

	log_dir(d, sizeof(d), &o);
	write_records(&o, 5);
	sh("cd %s && { head -2 bindwatch.log; printf '\\000{\"event\":\"bind\",\"comm\":\"sshd\"}\\n'; "
	   "tail -n +3 bindwatch.log; } > x && cat x > bindwatch.log && rm x", d);
	CHECK(verify(d, NULL) == 1, "verify passed a NUL-hidden line");
	CHECK(strstr(out, "bindwatch.log:3: binary data") != NULL, "verify says: %s", out);
	rmdir_tmp(d);
}

/* 1+3. a NUL-filled tail (power loss) is cut at restart, not glued onto */
static void t_nul_tail_restart(void)
{
	char d[64];
	struct logw_opts o;

	log_dir(d, sizeof(d), &o);
	write_records(&o, 5);
	sh("cd %s && head -c 300 /dev/zero >> bindwatch.log", d);
	CHECK(write_records(&o, 5) == 0, "restart after a NUL tail");
	CHECK(verify(d, NULL) == 0, "verify after a NUL tail and restart: %s", out);
	CHECK(count_in(d, "torn tail cut at start") == 1, "no gap record for the cut tail");
	CHECK(count_in(d, "\"cut_bytes\":300,") == 1, "the gap does not say 300 bytes were cut");
	rmdir_tmp(d);
}

/* 3. a torn, unterminated last line: cut back, log_start + gap, chain goes on */
static void t_torn_restart(void)
{
	char d[64];
	struct logw_opts o;

	log_dir(d, sizeof(d), &o);
	write_records(&o, 5);
	sh("cd %s && printf '{\"event\":\"bind\",\"ts\":\"2026' >> bindwatch.log", d);
	CHECK(verify(d, NULL) == 1 && strstr(out, "the last line is cut"),
	      "verify before restart: %s", out);
	CHECK(write_records(&o, 5) == 0, "restart after a torn line");
	CHECK(verify(d, NULL) == 0, "verify after a torn line and restart: %s", out);
	CHECK(count_in(d, "\"event\":\"log_start\"") == 2, "no log_start after the cut");
	CHECK(count_in(d, "\"cut_lines\":1,") == 1, "the gap does not say 1 line was cut");
	rmdir_tmp(d);
}

/* 2. a cut tail: the anchor (state file, or --anchor) says how many are missing */
static void t_tail_cut(void)
{
	char d[64], line[256];
	struct logw_opts o;
	struct log_anchor a;
	FILE *f;

	log_dir(d, sizeof(d), &o);
	write_records(&o, 20);	/* seq 1 log_start, 2..21 binds, 22 log_stop */
	snprintf(line, sizeof(line), "%s/%s", d, LOG_ANCHOR_FILE);
	f = fopen(line, "r");
	CHECK(f && fgets(line, sizeof(line), f), "no anchor state file");
	if (f)
		fclose(f);
	CHECK(!log_anchor_parse_state(line, &a) && a.seq == 22 && a.first == 1,
	      "anchor state: %s", line);
	sh("cd %s && head -n -3 bindwatch.log > x && cat x > bindwatch.log && rm x", d);
	CHECK(verify(d, NULL) == 1, "verify passed a cut tail");
	CHECK(strstr(out, "3 records missing from the end") != NULL, "verify says: %s", out);
	/* the same from an anchor given on the command line (as syslog kept it) */
	sh("cd %s && mv bindwatch.anchor anchor.off", d);
	CHECK(verify(d, &a) == 1 && strstr(out, "3 records missing from the end"),
	      "--anchor: %s", out);
	/* no anchor at all: still not "intact" without a stop record */
	CHECK(verify(d, NULL) == 1 && strstr(out, "without a clean stop record"),
	      "no anchor, no stop record: %s", out);
	/* a rewritten record at the anchor's seq */
	{
		struct log_anchor b = a;

		b.seq = 10;
		CHECK(verify(d, &b) == 1 && strstr(out, "does not match the anchor"),
		      "a wrong hash at the anchor: %s", out);
	}
	/* the daemon starting on a cut log says so in the chain */
	sh("cd %s && mv anchor.off bindwatch.anchor", d);
	CHECK(write_records(&o, 1) == 0, "restart on a cut log");
	CHECK(count_in(d, "records missing at start") == 1, "no gap record for the missing tail");
	CHECK(verify(d, NULL) == 0, "verify after the restart: %s", out);
	rmdir_tmp(d);
}

/* 2. the whole live file removed, rotated files left: the anchor sees it */
static void t_live_removed(void)
{
	char d[64];
	struct logw_opts o;

	rotated_log(d, sizeof(d), &o);
	sh("cd %s && ls bindwatch-*.log.gz >/dev/null && rm bindwatch.log", d);
	CHECK(verify(d, NULL) == 1 && strstr(out, "missing from the end"),
	      "live file removed: %s", out);
	/* the oldest rotated file removed (the end put back by a restart) */
	write_records(&o, 1);
	CHECK(verify(d, NULL) == 0, "after the restart: %s", out);
	sh("cd %s && rm $(ls bindwatch-*.log.gz | head -1)", d);
	CHECK(verify(d, NULL) == 1 && strstr(out, "missing from the start"),
	      "oldest removed: %s", out);
	rmdir_tmp(d);
}

struct open2 {
	const struct logw_opts *o;
	struct logw **w;
};

static int open2_fn(void *x)
{
	return logw__open(((struct open2 *)x)->o, ((struct open2 *)x)->w);
}

/* 4. two writers on one directory */
static void t_lock(void)
{
	char d[64];
	struct logw_opts o;
	struct logw *a = NULL, *b = NULL;
	int err;

	log_dir(d, sizeof(d), &o);
	CHECK(logw__open(&o, &a) == 0, "first writer");
	CHECK(log_dir_locked(d) == 1, "the lock is not seen");
	{
		struct open2 c = { &o, &b };

		err = capture(open2_fn, &c);
	}
	CHECK(err == -EBUSY, "second writer: %d", err);
	CHECK(strstr(out, "locked by another bindwatch daemon") != NULL, "message: %s", out);
	logw__close(b);
	logw__close(a);
	CHECK(log_dir_locked(d) == 0, "the lock outlives the writer");
	rmdir_tmp(d);
}

/* 5. stray files: a copy does not join the chain, is not counted or removed */
static void t_stray_files(void)
{
	char d[64];
	struct logw_opts o;
	struct log_files f;

	log_dir(d, sizeof(d), &o);
	o.max_size = 4096;
	o.max_files = 2;
	write_records(&o, 10);
	sh("cd %s && cp bindwatch.log bindwatch.log.bak && cp bindwatch.log bindwatch-1.log.gz.bak && "
	   "cp bindwatch.log bindwatch.log.1x", d);
	CHECK(verify(d, NULL) == 0, "a copy breaks verify: %s", out);
	CHECK(log_files_list(d, &f) == 0 && f.n == 1, "stray names listed: %zu", f.n);
	log_files_free(&f);
	write_records(&o, 200);	/* rotations: retention keeps 2 of ours */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cd %s && test -f bindwatch.log.bak && "
			 "test $(ls bindwatch-*.log.gz | wc -l) = 2", d);
		CHECK(system(cmd) == 0, "retention counted or removed a stray file");
	}
	rmdir_tmp(d);
}

static int open_fn(void *x)
{
	struct logw *w = NULL;
	int err = logw__open(x, &w);

	logw__close(w);
	return err;
}

static int reopen_fn(void *w)
{
	return logw__reopen(w);
}

/* 7. links, foreign files, an open directory */
static void t_no_links(void)
{
	char d[64], cmd[512];
	struct logw_opts o;

	log_dir(d, sizeof(d), &o);
	sh("cd %s && echo secret > target && ln -s target bindwatch.log", d);
	CHECK(capture(open_fn, &o) == -ELOOP, "a symlinked live file is followed: %s", out);
	CHECK(strstr(out, "symbolic link") != NULL, "message: %s", out);
	snprintf(cmd, sizeof(cmd), "test \"$(cat %s/target)\" = secret", d);
	CHECK(system(cmd) == 0, "the link's target was written");
	sh("cd %s && rm bindwatch.log && mkfifo bindwatch.log", d);
	CHECK(capture(open_fn, &o) == -EINVAL, "a FIFO live file: %s", out);
	sh("cd %s && rm bindwatch.log && echo x > other && ln other bindwatch.log", d);
	CHECK(capture(open_fn, &o) == -EPERM, "a hard-linked live file: %s", out);
	sh("cd %s && rm bindwatch.log other", d);
	if (geteuid() == 0) {
		sh("cd %s && touch bindwatch.log && chown 65534 bindwatch.log", d);
		CHECK(capture(open_fn, &o) == -EPERM && strstr(out, "owned by another user"),
		      "a live file of another user: %s", out);
		sh("cd %s && rm bindwatch.log", d);
	}
	/* planted temp names for rotation, old and new: never followed */
	sh("cd %s && echo secret > target && for s in 00000000000000000001 00000000000000000010 "
	   "00000000000000000020 00000000000000000030 00000000000000000040; do "
	   "ln -s target bindwatch-$s.log.gz.tmp; done && ln -s target .bindwatch-rotate.tmp", d);
	o.max_size = 4096;
	CHECK(write_records(&o, 60) == 0, "rotation with planted links");
	CHECK(system(cmd) == 0, "rotation wrote through a planted link");
	snprintf(cmd, sizeof(cmd), "cd %s && ls bindwatch-*.log.gz >/dev/null && "
		 "! find . -name 'bindwatch-*.log.gz' -type l | grep -q .", d);
	CHECK(system(cmd) == 0, "rotated files are links, or none");
	CHECK(verify(d, NULL) == 0, "verify: %s", out);
	/* SIGHUP's reopen after a move: a link planted at the name is refused,
	 * and the writer goes on in the file it had */
	{
		struct logw *w = NULL;

		o.max_size = 0;
		sh("cd %s && rm -f bindwatch*.gz && rm -f bindwatch.log", d);
		CHECK(logw__open(&o, &w) == 0, "open");
		sh("cd %s && mv bindwatch.log bindwatch.log.1 && ln -s target bindwatch.log", d);
		CHECK(capture(reopen_fn, w) == -ELOOP, "reopen followed a link: %s", out);
		CHECK(logw__append(w, "{\"event\":\"after\"}", 17) == 0, "append after refusal");
		logw__close(w);
		snprintf(cmd, sizeof(cmd), "test \"$(cat %s/target)\" = secret", d);
		CHECK(system(cmd) == 0, "reopen wrote through a planted link");
		snprintf(cmd, sizeof(cmd), "grep -q '\"event\":\"after\"' %s/bindwatch.log.1", d);
		CHECK(system(cmd) == 0, "the record after a refused reopen is lost");
		sh("cd %s && rm bindwatch.log", d);
	}
	/* a directory others may write to */
	chmod(d, 0777);
	o.max_size = 0;
	CHECK(capture(open_fn, &o) == -EPERM && strstr(out, "writable by others"),
	      "a world-writable log dir: %s", out);
	chmod(d, 0770);
	CHECK(capture(open_fn, &o) == -EPERM && strstr(out, "writable by its group"),
	      "a group-writable log dir: %s", out);
	chmod(d, 0700);
	rmdir_tmp(d);
}

/* 8. 0640 whatever the umask, and the key file */
static void t_modes(void)
{
	char d[64], cmd[512];
	struct logw_opts o;
	mode_t old = umask(0);

	rotated_log(d, sizeof(d), &o);
	umask(old);
	snprintf(cmd, sizeof(cmd), "cd %s && test -z \"$(find . -type f ! -perm 0640)\"", d);
	CHECK(system(cmd) == 0, "a file is not 0640 under umask 0");
	sh("cd %s && chmod 0644 bindwatch.log", d);
	write_records(&o, 1);
	CHECK(system(cmd) == 0, "the live file stays 0644");
	rmdir_tmp(d);
}

static void t_key_file(void)
{
	char d[64], p[128];
	unsigned char key[KEY_FILE_MAX];
	size_t len;

	mkdir_tmp(d, sizeof(d));
	snprintf(p, sizeof(p), "%s/k", d);
	sh("cd %s && head -c 2000 /dev/urandom > k && chmod 0600 k", d);
	len = sizeof(key);
	CHECK(key_file_read(p, key, &len) == -EFBIG, "a 2000-byte key is cut");
	CHECK(strstr(key_file_error(-EFBIG), "1024") != NULL, "the limit is not stated");
	sh("cd %s && head -c 1024 /dev/urandom > k", d);
	len = sizeof(key);
	CHECK(key_file_read(p, key, &len) == 0 && len == 1024, "a 1024-byte key: %zu", len);
	sh("cd %s && head -c 1500 /dev/urandom > k && chmod 0600 k", d);
	len = 16;
	CHECK(key_file_read(p, key, &len) == -EFBIG, "a key longer than the room is cut");
	sh("cd %s && chmod 0644 k", d);
	len = sizeof(key);
	CHECK(key_file_read(p, key, &len) == -EPERM, "a world-readable key is accepted");
	CHECK(key_file_read(d, key, &len) == -EISDIR, "a directory as key");
	CHECK(strstr(key_file_error(-EISDIR), "directory") != NULL, "directory message");
	sh("cd %s && : > k && chmod 0600 k", d);
	CHECK(key_file_read(p, key, &len) == -ENODATA, "an empty key");
	rmdir_tmp(d);
}

/* a keyed log verifies with its key and not without */
static void t_keyed(void)
{
	char d[64];
	struct logw_opts o;
	const unsigned char key[] = "a long secret key, longer than one block of the hash....."
				    "................................................................";
	struct vargs v;

	log_dir(d, sizeof(d), &o);
	o.key = key;
	o.keylen = sizeof(key) - 1;
	write_records(&o, 5);
	v = (struct vargs){ d, NULL, key, sizeof(key) - 1 };
	CHECK(capture(verify_fn, &v) == 0, "keyed: %s", out);
	CHECK(verify(d, NULL) == 1, "a keyed log verifies without its key");
	rmdir_tmp(d);
}

/* logw__append: a record is one line, whole, or a gap says it is missing */
static void t_append_whole(void)
{
	char d[64];
	struct logw_opts o;
	struct logw *w;
	const char bad[] = "{\"event\":\"bind\",\"comm\":\"a\nb\"}";
	const char nul[] = "{\"event\":\"bind\",\"comm\":\"a\0b\"}";

	log_dir(d, sizeof(d), &o);
	CHECK(logw__open(&o, &w) == 0, "open");
	CHECK(logw__append(w, bad, strlen(bad)) == 0, "a two-line record stops the writer");
	CHECK(logw__append(w, nul, sizeof(nul) - 1) == 0, "a NUL record stops the writer");
	CHECK(logw__append(w, "{\"event\":\"x\"}", 13) == 0, "append");
	CHECK(logw__lost(w) == 2, "lost %llu", (unsigned long long)logw__lost(w));
	logw__close(w);
	CHECK(count_in(d, "\"lost\":1,\"reason\":\"record refused") == 2, "no gap records");
	CHECK(verify(d, NULL) == 0, "verify: %s", out);
	rmdir_tmp(d);
}

/* Sum of a numeric field over the live file's records that match pattern. */
static long sum_in(const char *dir, const char *pattern, const char *field)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cd %s && grep '%s' bindwatch.log | "
		 "sed -n 's/.*\"%s\":\\([0-9]*\\).*/\\1/p' | awk '{s+=$1} END {print s+0}'",
		 dir, pattern, field);
	return sh_num(cmd);
}

/* A write error (RLIMIT_FSIZE stands in for a full disk): every record is
 * written or counted in a gap record, exactly, and nothing half-written. */
static void t_write_errors_counted(void)
{
	char d[64];
	struct logw_opts o;
	const int n = 300;
	pid_t pid;
	int status = -1;

	log_dir(d, sizeof(d), &o);
	o.flush_records = 1;
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 4096, RLIM_INFINITY };
		struct timespec ts = { 0, 5000000 };
		struct logw *w;
		char json[128];

		signal(SIGXFSZ, SIG_IGN);
		if (logw__open(&o, &w))
			_exit(2);
		setrlimit(RLIMIT_FSIZE, &rl);
		for (int i = 0; i < n; i++) {
			if (i == n - 20) {
				rl.rlim_cur = RLIM_INFINITY;	/* room again */
				setrlimit(RLIMIT_FSIZE, &rl);
				nanosleep(&(struct timespec){ 1, 100000000 }, NULL);
			}
			snprintf(json, sizeof(json), "{\"event\":\"bind\",\"port\":%d}", i);
			if (logw__append(w, json, strlen(json)))
				_exit(3);
			nanosleep(&ts, NULL);
		}
		logw__close(w);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer child: %d", status);
	{
		long binds = count_in(d, "\"event\":\"bind\"");
		long lost = sum_in(d, "write failed", "lost");

		CHECK(binds > 0 && lost > 0 && binds + lost == n,
		      "%ld written + %ld lost != %d appended", binds, lost, n);
	}
	CHECK(verify(d, NULL) == 0, "verify after write errors: %s", out);
	rmdir_tmp(d);
}

/* a corrupt .gz is named, not the next file */
static void t_corrupt_gz(void)
{
	char d[64];
	struct logw_opts o;

	rotated_log(d, sizeof(d), &o);
	sh("cd %s && f=$(ls bindwatch-*.log.gz | head -1) && s=$(stat -c %%s $f) && "
	   "head -c $((s / 2)) $f > x && cat x > $f && rm x && echo $f > corrupt", d);
	CHECK(verify(d, NULL) == 1, "verify passed a cut gzip file");
	{
		char p[128], name[128] = "";
		FILE *f;

		snprintf(p, sizeof(p), "%s/corrupt", d);
		f = fopen(p, "r");
		if (f && fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = 0;
		if (f)
			fclose(f);
		snprintf(p, sizeof(p), "%s/%s: cannot read past line", d, name);
		CHECK(name[0] && strstr(out, p), "want '%s' in: %s", p, out);
	}
	rmdir_tmp(d);
}

struct hargs {
	const char *dir;
	unsigned short port;
};

static int history_fn(void *a)
{
	struct hargs *h = a;

	return log_history(h->dir, h->port, NULL, NULL, 0);
}

/* history text: a listener's close, an inferred errno, an escape */
static void t_history_text(void)
{
	char d[64];
	struct logw_opts o;
	struct logw *w;
	struct hargs h;
	const char *recs[] = {
		"{\"event\":\"bind\",\"ts\":\"2026-11-28T05:00:00.000000Z\",\"pid\":7,\"comm\":\"\\u001b[2Jx\","
		"\"proto\":\"tcp\",\"addr\":\"0.0.0.0\",\"port\":7777,\"requested_port\":7777,\"errno\":null,\"sock\":42}",
		"{\"event\":\"listen\",\"ts\":\"2026-11-28T05:00:01.000000Z\",\"pid\":7,\"comm\":\"srv\","
		"\"proto\":\"tcp\",\"addr\":\"0.0.0.0\",\"port\":7777,\"requested_port\":7777,\"errno\":null,\"sock\":42}",
		"{\"event\":\"listen\",\"ts\":\"2026-11-28T05:00:02.000000Z\",\"pid\":8,\"comm\":\"late\","
		"\"proto\":\"tcp\",\"addr\":\"0.0.0.0\",\"port\":7777,\"requested_port\":7777,"
		"\"errno\":\"EADDRINUSE\",\"errno_source\":\"inferred\",\"sock\":43}",
		"{\"event\":\"close\",\"ts\":\"2026-11-28T05:00:03.000000Z\",\"pid\":7,\"comm\":\"srv\","
		"\"proto\":\"tcp\",\"addr\":\"0.0.0.0\",\"port\":7777,\"requested_port\":7777,\"errno\":null,\"sock\":42}",
	};

	log_dir(d, sizeof(d), &o);
	logw__open(&o, &w);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		logw__append(w, recs[i], strlen(recs[i]));
	logw__close(w);
	h = (struct hargs){ d, 7777 };
	CHECK(capture(history_fn, &h) == 0, "history: %s", out);
	CHECK(strstr(out, "was listening") && !strstr(out, "released"),
	      "a listener's close: %s", out);
	CHECK(strstr(out, "EADDRINUSE?") != NULL, "an inferred errno lost its '?': %s", out);
	CHECK(strstr(out, "\\x1b[2Jx[7]") && !strstr(out, "u001b"), "the escape: %s", out);
	CHECK(!strchr(out, 0x1b), "a raw escape reached the terminal");
	/* a NUL-hidden record is said, not skipped */
	sh("cd %s && printf '\\000{\"event\":\"bind\",\"port\":7777,\"comm\":\"sshd\"}\\n' >> bindwatch.log", d);
	CHECK(capture(history_fn, &h) == 1 && strstr(out, "binary data"), "history: %s", out);
	rmdir_tmp(d);
}

static void t_anchor_parse(void)
{
	struct log_anchor a;
	char s[200];

	memset(s, 0, sizeof(s));
	snprintf(s, sizeof(s), "12:%064d", 0);
	CHECK(log_anchor_parse(s, &a) == 0 && a.seq == 12, "good anchor");
	CHECK(log_anchor_parse("12:abc", &a) == -EINVAL, "short hash");
	CHECK(log_anchor_parse(":00", &a) == -EINVAL, "no seq");
	snprintf(s, sizeof(s), "x1:%064d", 0);
	CHECK(log_anchor_parse(s, &a) == -EINVAL, "bad seq");
	CHECK(log_name_kind("bindwatch.log") == LOG_NAME_LIVE, "live");
	CHECK(log_name_kind("bindwatch-00000000000000000012.log.gz") == LOG_NAME_ROTATED, "ours");
	CHECK(log_name_kind("bindwatch.log.3.gz") == LOG_NAME_LOGROTATE, "logrotate's");
	CHECK(log_name_kind("bindwatch.log.bak") == LOG_NAME_OTHER, ".bak");
	CHECK(log_name_kind("bindwatch-00000000000000000012.log.gz.tmp") == LOG_NAME_OTHER, ".tmp");
	CHECK(log_name_kind("bindwatch-1.log.gz") == LOG_NAME_OTHER, "short seq");
}

int main(void)
{
	logw_syslog_anchor(0);
	t_intact();
	t_nul_hides();
	t_nul_tail_restart();
	t_torn_restart();
	t_tail_cut();
	t_live_removed();
	t_lock();
	t_stray_files();
	t_no_links();
	t_modes();
	t_key_file();
	t_keyed();
	t_append_whole();
	t_write_errors_counted();
	t_corrupt_gz();
	t_history_text();
	t_anchor_parse();
	return tap_done("log");
}
