/* The sealed log's folder: created and checked (ours, not group or world
 * writable), locked for one writer, the live file opened without following
 * links, a torn tail cut back, the chain resumed from what is on disk, and
 * the anchor (the chain's head kept outside the records).  All of it is
 * state the writer (logfile.c) continues from; apart from it because none of
 * it runs per record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include "log.h"
#include "logfile_internal.h"
#include "logread.h"

static int syslog_anchor = 1;

void logw_syslog_anchor(int on)
{
	syslog_anchor = on;
}

/* The anchor: the head (seq, hash) of what is on disk, outside the records. */
void logw__write_anchor(struct logw *w, int final)
{
	char hex[2 * CHAIN_HASH_LEN + 1], line[200];
	__u64 now = logw_mono_ns();
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
int logw__open_live(struct logw *w)
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
void logw__find_first_kept(struct logw *w)
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
	err = logw__open_live(w);
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
	logw__find_first_kept(w);
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
	w->last_flush_ns = logw_mono_ns();
	if (w->size == 0 || cut || missing) {
		err = logw__write_start(w);
		if (err)
			goto fail;
	}
	if (cut) {
		char ts[48];

		logw_now_rfc3339(ts, sizeof(ts));
		snprintf(line, sizeof(line),
			 "{\"event\":\"gap\",\"ts\":\"%s\",\"reason\":\"torn tail cut at start\","
			 "\"cut_bytes\":%llu,\"cut_lines\":%llu}",
			 ts, (unsigned long long)cut, (unsigned long long)cut_lines);
		err = logw__seal(w, line, strlen(line));
		if (err)
			goto fail;
	}
	if (missing) {
		char ts[48];

		p_warn("'%s' ends at record %llu but its anchor named record %llu: %llu records "
		       "are missing (recorded as a gap)", w->path,
		       (unsigned long long)resumed, (unsigned long long)prev.seq,
		       (unsigned long long)missing);
		logw_now_rfc3339(ts, sizeof(ts));
		snprintf(line, sizeof(line),
			 "{\"event\":\"gap\",\"ts\":\"%s\",\"reason\":\"records missing at start "
			 "(the anchor names a later record)\",\"lost\":%llu,\"anchor_seq\":%llu}",
			 ts, (unsigned long long)missing, (unsigned long long)prev.seq);
		err = logw__seal(w, line, strlen(line));
		if (err)
			goto fail;
	}
	/* what start found is on disk before any event (a full disk: counted) */
	if (w->nbuf) {
		err = logw__flush(w, 0);
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

int logw__reopen(struct logw *w)
{
	int old = w->fd, err = logw__flush(w, 0);
	off_t old_size = w->size;

	if (err)
		return err;
	err = logw__open_live(w);
	if (err) {
		/* refused (a planted link, ...): keep writing where we were */
		w->fd = old;
		w->size = old_size;
		return err;
	}
	if (old >= 0)
		close(old);
	return w->size == 0 ? logw__write_start(w) : 0;
}
