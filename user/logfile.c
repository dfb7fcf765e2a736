#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "logchain.h"
#include "logfile.h"
#include "logread.h"
#include "sbuf.h"

#define LOG_MODE 0640
#define ROTATE_TMP ".bindwatch-rotate.tmp"	/* not a log name: never read */

struct logw {
	struct logw_opts o;
	struct chain chain;
	struct chain durable;	/* the chain as of the last record on disk */
	struct sbuf buf;	/* sealed records not yet written */
	unsigned int nbuf;
	int dirfd;		/* DIR, locked; every file is opened relative to it */
	int fd;			/* the live file */
	int anchor_fd;		/* DIR/bindwatch.anchor */
	off_t size;		/* of the live file, whole records only */
	__u64 last_flush_ns;
	__u64 lost, lost_reported;
	__u64 appended;		/* records sealed by logw__append() since open */
	const char *gap_reason;	/* why lost - lost_reported records are lost */
	__u64 last_try_ns;	/* while failing: the last attempt to write */
	__u64 first_kept;	/* the oldest record retention kept */
	__u64 anchor_sent_seq, anchor_sent_ns;
	int failing;
	int stopping;		/* logw__close: the anchor says the stop was clean */
	int use_syslog;
	int started;
	char path[1024];
};

static int syslog_anchor = 1;

void logw_syslog_anchor(int on)
{
	syslog_anchor = on;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char b[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%.20s.%06uZ", b, (unsigned int)(ts.tv_nsec / 1000) % 1000000u);
}

/*
 * Seal one record into the buffer, whole or not at all: a record with a NUL
 * or a newline would not be one line, and a failed allocation must not leave
 * half a record to be written and sealed.  0, -EINVAL, -ENOMEM or -EIO.
 */
static int seal(struct logw *w, const char *json, size_t len)
{
	struct chain saved = w->chain;
	size_t start = w->buf.len;
	int err;

	if (memchr(json, 0, len) || memchr(json, '\n', len))
		return -EINVAL;
	err = chain_seal(&w->chain, json, len, &w->buf);
	if (!err)
		sbuf_putc(&w->buf, '\n');
	if (!err && w->buf.oom)
		err = -ENOMEM;
	if (err) {
		w->chain = saved;
		w->buf.len = start;
		w->buf.oom = 0;
		if (w->buf.buf)
			w->buf.buf[start] = 0;
		return err;
	}
	w->nbuf++;
	return 0;
}

/* The anchor: the head (seq, hash) of what is on disk, outside the records. */
static void write_anchor(struct logw *w, int final)
{
	char hex[2 * CHAIN_HASH_LEN + 1], line[200];
	__u64 now = mono_ns();
	int n;

	hex_encode(w->durable.prev, CHAIN_HASH_LEN, hex);
	/* fixed width: one pwrite over the old line, never a shorter file */
	n = snprintf(line, sizeof(line), "seq=%020llu hash=%s first=%020llu stop=%d lost=%020llu\n",
		     (unsigned long long)w->durable.seq, hex, (unsigned long long)w->first_kept,
		     w->stopping, (unsigned long long)(w->lost - w->lost_reported));
	if (w->anchor_fd >= 0 && pwrite(w->anchor_fd, line, (size_t)n, 0) != n)
		p_debug("failed to write the anchor in '%s': %s", w->o.dir, strerror(errno));
	/* off the host, where whoever edits DIR cannot reach it: at most once a second */
	if (w->use_syslog && w->durable.seq != w->anchor_sent_seq &&
	    (final || now - w->anchor_sent_ns >= 1000000000ull)) {
		syslog(LOG_DAEMON | LOG_INFO, "log anchor %s %llu:%s", w->o.dir,
		       (unsigned long long)w->durable.seq, hex);
		w->anchor_sent_seq = w->durable.seq;
		w->anchor_sent_ns = now;
	}
}

/*
 * Write the buffer, whole or not at all, then fdatasync.  Write errors are
 * counted (w->failing); -EIO only when the file cannot be cut back to its
 * last whole record, i.e. half a record may be on disk.
 */
static int flush(struct logw *w, int final)
{
	size_t off = 0;
	int err = 0, ret = 0;

	while (off < w->buf.len) {
		ssize_t n = write(w->fd, w->buf.buf + off, w->buf.len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!err && w->buf.len && fdatasync(w->fd))
		err = -errno;
	w->last_flush_ns = mono_ns();
	if (err) {
		/* no half record on disk: cut back to the last whole one, and let
		 * the chain continue from there */
		if (ftruncate(w->fd, w->size)) {
			ret = -errno;
			p_err("failed to cut '%s' back to %lld bytes after a write error: %s",
			      w->path, (long long)w->size, strerror(errno));
		}
		w->lost += w->nbuf;
		w->gap_reason = "write failed";
		w->chain = w->durable;
		w->last_try_ns = mono_ns();
		if (!w->failing && w->lost_reported == w->lost - w->nbuf)
			p_err("failed to write log '%s': %s; records are being lost "
			      "(counted, and recorded as a gap when writing works again)",
			      w->path, strerror(-err));
		w->failing = 1;
	} else {
		int wrote = w->buf.len > 0;

		w->size += (off_t)w->buf.len;
		w->durable = w->chain;
		if (wrote || final)
			write_anchor(w, final);
	}
	sbuf_reset(&w->buf);
	w->nbuf = 0;
	return ret;
}

/*
 * Before the next record: the gap record for what was lost, if any.
 * *skip = 1 when the disk is still failing (the record is then counted).
 */
static int gap_first(struct logw *w, int *skip)
{
	__u64 lost = w->lost - w->lost_reported;
	char gap[256], ts[48];
	int err, was_failing = w->failing;

	*skip = 0;
	if (!lost)
		return 0;
	if (w->failing && mono_ns() - w->last_try_ns < 1000000000ull) {
		*skip = 1;	/* a full disk: try again (gap record first) once a second */
		return 0;
	}
	now_rfc3339(ts, sizeof(ts));
	snprintf(gap, sizeof(gap), "{\"event\":\"gap\",\"ts\":\"%s\",\"lost\":%llu,\"reason\":\"%s\"}",
		 ts, (unsigned long long)lost, w->gap_reason ? w->gap_reason : "unknown");
	if (seal(w, gap, strlen(gap))) {
		*skip = 1;
		return 0;
	}
	if (was_failing) {
		w->failing = 0;
		err = flush(w, 0);	/* sets failing again, quietly, if the disk is still full */
		if (err)
			return err;
		if (w->failing) {
			/* still full: flush() counted the gap record (alone in the
			 * buffer while failing) as a lost record; it is none */
			w->lost--;
			*skip = 1;
			return 0;
		}
		p_warn("log '%s' writable again after %llu lost records", w->path,
		       (unsigned long long)lost);
	}
	w->lost_reported += lost;
	return 0;
}

static int rotate(struct logw *w);

int logw__append(struct logw *w, const char *json, size_t len)
{
	int err, skip;

	err = gap_first(w, &skip);
	if (err)
		return err;
	if (skip) {
		w->lost++;
		return 0;
	}
	err = seal(w, json, len);
	if (err == -EINVAL || err == -ENOMEM) {
		/* this record only: counted, and a gap record says so next */
		if (w->lost == w->lost_reported)
			p_warn("a record could not be sealed into '%s': %s; counted as lost",
			       w->path, err == -EINVAL ? "not one line of JSON" : strerror(-err));
		w->lost++;
		if (!w->failing)
			w->gap_reason = err == -EINVAL ? "record refused (not one line)"
						       : "out of memory";
		return 0;
	}
	if (err)
		return err;
	w->appended++;
	if (w->nbuf >= w->o.flush_records) {
		err = flush(w, 0);
		if (err)
			return err;
	}
	if (w->o.max_size && (size_t)w->size + w->buf.len >= w->o.max_size && !w->failing)
		return rotate(w);
	return 0;
}

int logw__tick(struct logw *w, int final)
{
	int skip, err = 0;

	/* a gap waiting for the disk is written even when no record comes */
	if (w->lost > w->lost_reported)
		err = gap_first(w, &skip);
	if (!err && (final || mono_ns() - w->last_flush_ns >= (__u64)w->o.flush_ms * 1000000ull ||
		     w->nbuf >= w->o.flush_records))
		err = flush(w, final);
	return err;
}

/* Every file starts with this record, naming the hash it continues from. */
static int write_start_record(struct logw *w)
{
	char hex[2 * CHAIN_HASH_LEN + 1], json[256], ts[48];

	now_rfc3339(ts, sizeof(ts));
	hex_encode(w->chain.prev, CHAIN_HASH_LEN, hex);
	snprintf(json, sizeof(json), "{\"event\":\"log_start\",\"ts\":\"%s\",\"chain_prev\":\"%s\"}",
		 ts, hex);
	return seal(w, json, strlen(json));
}

/*
 * Open name in DIR for writing, never through a link, and make sure it is a
 * regular file of ours with no other names, mode 0640 whatever the umask.
 */
static int open_in_dir(struct logw *w, const char *name, int flags, int *out)
{
	char path[1200];
	struct stat st;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", w->o.dir, name);
	fd = openat(w->dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, LOG_MODE);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP)
			p_err("'%s' is a symbolic link: refusing to follow it", path);
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		p_err("'%s' is not a regular file: refusing to write to it", path);
		err = -EINVAL;
		goto fail;
	}
	if (st.st_uid != geteuid() || st.st_nlink != 1) {
		p_err("'%s' is %s: refusing to write to it", path,
		      st.st_uid != geteuid() ? "owned by another user" : "hard-linked elsewhere");
		err = -EPERM;
		goto fail;
	}
	if ((st.st_mode & 07777) != LOG_MODE && fchmod(fd, LOG_MODE)) {
		err = -errno;
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return err;
}

/* Open DIR/bindwatch.log into w->fd and w->size; on failure both are untouched. */
static int open_live(struct logw *w)
{
	struct stat st;
	int fd, err = open_in_dir(w, LOG_LIVE, O_RDWR | O_CREAT | O_APPEND, &fd);

	if (err)
		return err;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	w->fd = fd;
	w->size = st.st_size;
	return 0;
}

/*
 * A crash or power loss can leave a torn last line (or NULs) after the last
 * whole record: cut the live file back to it, so the next record does not
 * glue onto a fragment.  *cut, *cut_lines: what was removed; *last: the last
 * whole record (malloc'ed, NULL when none).  0 or -errno.
 */
static int cut_torn_tail(struct logw *w, __u64 *cut, __u64 *cut_lines, char **last)
{
	off_t base = w->size > (off_t)LOG_TAIL_SCAN ? w->size - (off_t)LOG_TAIL_SCAN : 0;
	size_t got = (size_t)(w->size - base), end, keep_at = 0;
	char *buf, *nl, *pn;
	ssize_t n;
	int err = 0;

	*cut = *cut_lines = 0;
	*last = NULL;
	if (!got)
		return 0;
	buf = malloc(got);
	if (!buf)
		return -ENOMEM;
	n = pread(w->fd, buf, got, base);
	if (n != (ssize_t)got) {
		err = n < 0 ? -errno : -EIO;
		goto out;
	}
	for (end = got;;) {
		size_t ls, le;

		nl = memrchr(buf, '\n', end);
		if (!nl) {
			if (base) {
				p_err("'%s': no whole record in its last %u bytes; move it away",
				      w->path, LOG_TAIL_SCAN);
				err = -EINVAL;
				goto out;
			}
			keep_at = 0;
			break;
		}
		le = (size_t)(nl - buf);
		pn = memrchr(buf, '\n', le);
		ls = pn ? (size_t)(pn - buf) + 1 : 0;
		if (!pn && base) {
			p_err("'%s': a record longer than %u bytes at its end; move it away",
			      w->path, LOG_TAIL_SCAN);
			err = -EINVAL;
			goto out;
		}
		if (chain_looks_sealed(buf + ls, le - ls)) {
			keep_at = le + 1;
			*last = strndup(buf + ls, le - ls);
			if (!*last)
				err = -ENOMEM;
			break;
		}
		end = ls;
	}
	if (err || keep_at == got)
		goto out;
	*cut = got - keep_at;
	for (size_t i = keep_at; i < got; i++)
		*cut_lines += buf[i] == '\n';
	if (buf[got - 1] != '\n')
		(*cut_lines)++;
	if (ftruncate(w->fd, base + (off_t)keep_at) || fsync(w->fd)) {
		err = -errno;
		goto out;
	}
	w->size = base + (off_t)keep_at;
	p_warn("'%s' ended in %llu bytes that are not a whole record (a torn write?): cut, "
	       "and recorded as a gap", w->path, (unsigned long long)*cut);
out:
	free(buf);
	return err;
}

/* The chain's head: the live file's last record, else the newest rotated file's. */
static void resume_chain(struct logw *w, const char *live_last)
{
	struct log_files files = { 0 };

	if (live_last) {
		chain_resume(&w->chain, live_last);
	} else if (!log_files_list(w->o.dir, &files)) {
		for (size_t i = files.n; i-- > 0;) {
			char *last = NULL;
			const char *b = strrchr(files.path[i], '/');

			if (log_name_kind(b ? b + 1 : files.path[i]) == LOG_NAME_LIVE)
				continue;
			if (!log_last_line(files.path[i], &last) && last &&
			    !chain_resume(&w->chain, last)) {
				free(last);
				break;
			}
			free(last);
		}
	}
	log_files_free(&files);
}

/* The oldest record kept in DIR (for the anchor's "first"). */
static void find_first_kept(struct logw *w)
{
	struct log_files files = { 0 };

	w->first_kept = w->chain.seq + 1;
	if (!log_files_list(w->o.dir, &files) && files.n && files.first_seq[0] != ~0ull)
		w->first_kept = files.first_seq[0];
	log_files_free(&files);
}

static int check_dir(const struct logw_opts *o, int dirfd)
{
	struct stat st;

	if (fstat(dirfd, &st))
		return -errno;
	if (st.st_uid != geteuid()) {
		p_err("log dir '%s' is owned by uid %u, not by us (uid %u): refusing to write there",
		      o->dir, st.st_uid, geteuid());
		return -EPERM;
	}
	if (st.st_mode & 022) {
		p_err("log dir '%s' is writable by %s (mode %04o): refusing to write there "
		      "(chmod 0750 '%s')", o->dir, st.st_mode & 002 ? "others" : "its group",
		      st.st_mode & 07777, o->dir);
		return -EPERM;
	}
	return 0;
}

int logw__open(const struct logw_opts *o, struct logw **out)
{
	struct logw *w = calloc(1, sizeof(*w));
	struct log_anchor prev;
	__u64 cut = 0, cut_lines = 0, missing = 0, resumed;
	char *last = NULL, line[256];
	struct stat st;
	int err;

	if (!w)
		return -ENOMEM;
	w->o = *o;
	w->fd = w->dirfd = w->anchor_fd = -1;
	w->chain.key = o->key;
	w->chain.keylen = o->keylen;
	sbuf_init(&w->buf);
	snprintf(w->path, sizeof(w->path), "%s/%s", o->dir, LOG_LIVE);
	if (mkdir(o->dir, 0750) && errno != EEXIST) {
		err = -errno;
		goto fail;
	}
	w->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		err = -errno;
		goto fail;
	}
	err = check_dir(o, w->dirfd);
	if (err)
		goto fail;
	/* one writer per directory: two would interleave their chains */
	if (flock(w->dirfd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		if (err == -EWOULDBLOCK) {
			p_err("log dir '%s' is locked by another bindwatch daemon: refusing to "
			      "start a second writer", o->dir);
			err = -EBUSY;
		}
		goto fail;
	}
	err = open_live(w);
	if (err)
		goto fail;
	err = cut_torn_tail(w, &cut, &cut_lines, &last);
	if (err)
		goto fail;
	/* continue the chain from the newest record on disk */
	resume_chain(w, last);
	resumed = w->chain.seq;
	free(last);
	last = NULL;
	w->durable = w->chain;
	find_first_kept(w);
	err = open_in_dir(w, LOG_ANCHOR_FILE, O_RDWR | O_CREAT, &w->anchor_fd);
	if (err)
		goto fail;
	/* records the last anchor named and the log no longer has: say so */
	{
		ssize_t n = pread(w->anchor_fd, line, sizeof(line) - 1, 0);

		line[n > 0 ? n : 0] = 0;
		if (n > 0 && !log_anchor_parse_state(line, &prev) && prev.seq > w->chain.seq)
			missing = prev.seq - w->chain.seq;
	}
	w->use_syslog = syslog_anchor && !stat("/dev/log", &st) && S_ISSOCK(st.st_mode);
	w->last_flush_ns = mono_ns();
	if (w->size == 0 || cut || missing) {
		err = write_start_record(w);
		if (err)
			goto fail;
	}
	if (cut) {
		char ts[48];

		now_rfc3339(ts, sizeof(ts));
		snprintf(line, sizeof(line),
			 "{\"event\":\"gap\",\"ts\":\"%s\",\"reason\":\"torn tail cut at start\","
			 "\"cut_bytes\":%llu,\"cut_lines\":%llu}",
			 ts, (unsigned long long)cut, (unsigned long long)cut_lines);
		err = seal(w, line, strlen(line));
		if (err)
			goto fail;
	}
	if (missing) {
		char ts[48];

		p_warn("'%s' ends at record %llu but its anchor named record %llu: %llu records "
		       "are missing (recorded as a gap)", w->path,
		       (unsigned long long)resumed, (unsigned long long)prev.seq,
		       (unsigned long long)missing);
		now_rfc3339(ts, sizeof(ts));
		snprintf(line, sizeof(line),
			 "{\"event\":\"gap\",\"ts\":\"%s\",\"reason\":\"records missing at start "
			 "(the anchor names a later record)\",\"lost\":%llu,\"anchor_seq\":%llu}",
			 ts, (unsigned long long)missing, (unsigned long long)prev.seq);
		err = seal(w, line, strlen(line));
		if (err)
			goto fail;
	}
	/* what start found is on disk before any event (a full disk: counted) */
	if (w->nbuf) {
		err = flush(w, 0);
		if (err)
			goto fail;
	}
	w->started = 1;
	*out = w;
	return 0;
fail:
	free(last);
	logw__close(w);
	return err;
}

/* gzip the live file into dst: a temp file made with O_EXCL (a planted name
 * or link is removed, never followed), 0640, fsync'ed, renamed.  0 or -errno. */
static int gzip_live(struct logw *w, const char *dst)
{
	char buf[65536];
	int tmp = -1, gzfd, err = 0;
	gzFile gz;
	off_t off = 0;
	ssize_t n;

	for (int tries = 0; tries < 2 && tmp < 0; tries++) {
		tmp = openat(w->dirfd, ROTATE_TMP,
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, LOG_MODE);
		if (tmp < 0 && errno == EEXIST)
			unlinkat(w->dirfd, ROTATE_TMP, 0);	/* a leftover: remove the name */
	}
	if (tmp < 0)
		return -errno;
	if (fchmod(tmp, LOG_MODE)) {
		err = -errno;
		goto out;
	}
	gzfd = dup(tmp);
	gz = gzfd >= 0 ? gzdopen(gzfd, "wb1") : NULL;	/* fast: the agent's loop waits for this */
	if (!gz) {
		if (gzfd >= 0)
			close(gzfd);
		err = -EIO;
		goto out;
	}
	while ((n = pread(w->fd, buf, sizeof(buf), off)) > 0) {
		if (gzwrite(gz, buf, (unsigned)n) != n) {
			err = -EIO;
			break;
		}
		off += n;
	}
	if (n < 0 && !err)
		err = -errno;
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	if (!err && fsync(tmp))
		err = -errno;
	if (!err && renameat(w->dirfd, ROTATE_TMP, w->dirfd, dst))
		err = -errno;
out:
	close(tmp);
	if (err)
		unlinkat(w->dirfd, ROTATE_TMP, 0);
	return err;
}

static void retention(struct logw *w)
{
	struct log_files files = { 0 };
	size_t rotated = 0, i;

	if (log_files_list(w->o.dir, &files))
		return;
	/* only the daemon's own rotated files count and go: not a copy, not logrotate's */
	for (i = 0; i < files.n; i++)
		rotated += log_name_kind(strrchr(files.path[i], '/') + 1) == LOG_NAME_ROTATED;
	for (i = 0; i < files.n && rotated > w->o.max_files; i++) {
		if (log_name_kind(strrchr(files.path[i], '/') + 1) != LOG_NAME_ROTATED)
			continue;
		if (!unlinkat(w->dirfd, strrchr(files.path[i], '/') + 1, 0))
			rotated--;
	}
	log_files_free(&files);
	find_first_kept(w);
}

static int rotate(struct logw *w)
{
	char dst[64];
	int err;

	err = flush(w, 0);
	if (err || w->failing)
		return err;
	/* named by the last record it holds: names sort by age */
	snprintf(dst, sizeof(dst), "bindwatch-%020llu.log.gz", (unsigned long long)w->chain.seq);
	err = gzip_live(w, dst);
	if (err) {
		p_warn("failed to compress '%s' into '%s/%s': %s; not rotating", w->path, w->o.dir,
		       dst, strerror(-err));
		return 0;
	}
	fsync(w->dirfd);
	close(w->fd);
	w->fd = -1;
	if (unlinkat(w->dirfd, LOG_LIVE, 0))
		return -errno;
	err = open_live(w);
	if (err)
		return err;
	retention(w);
	write_anchor(w, 0);
	return write_start_record(w);
}

int logw__reopen(struct logw *w)
{
	int old = w->fd, err = flush(w, 0);
	off_t old_size = w->size;

	if (err)
		return err;
	err = open_live(w);
	if (err) {
		/* refused (a planted link, ...): keep writing where we were */
		w->fd = old;
		w->size = old_size;
		return err;
	}
	if (old >= 0)
		close(old);
	return w->size == 0 ? write_start_record(w) : 0;
}

__u64 logw__records(const struct logw *w)
{
	return w->appended;
}

__u64 logw__lost(const struct logw *w)
{
	return w->lost;
}

void logw__close(struct logw *w)
{
	if (!w)
		return;
	if (w->fd >= 0 && w->started) {
		char json[128], ts[48];

		/* the clean stop: a log that ends without it was cut, or its daemon died */
		now_rfc3339(ts, sizeof(ts));
		snprintf(json, sizeof(json), "{\"event\":\"log_stop\",\"ts\":\"%s\",\"lost\":%llu}", ts,
			 (unsigned long long)w->lost);
		logw__append(w, json, strlen(json));
		logw__tick(w, 1);
		/* the last word, also when the disk had no room for the stop record:
		 * the fixed-width line is rewritten in place, no new block needed */
		w->stopping = 1;
		write_anchor(w, 1);
	}
	if (w->fd >= 0)
		close(w->fd);
	if (w->anchor_fd >= 0)
		close(w->anchor_fd);
	if (w->dirfd >= 0)
		close(w->dirfd);	/* and the lock with it */
	sbuf_free(&w->buf);
	free(w);
}
