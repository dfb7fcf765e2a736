/* Rotation of the sealed log: by size, into gzip files named by their last
 * record so names sort by age, kept by count (only the daemon's own).  Apart
 * from the writer (logfile.c) because it is the only part that compresses
 * and deletes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "logfile_internal.h"
#include "logread.h"

#define ROTATE_TMP ".bindwatch-rotate.tmp"	/* not a log name: never read */

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
	logw__find_first_kept(w);
}

int logw__rotate(struct logw *w)
{
	char dst[64];
	int err;

	err = logw__flush(w, 0);
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
	err = logw__open_live(w);
	if (err)
		return err;
	retention(w);
	logw__write_anchor(w, 0);
	return logw__write_start(w);
}
