#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "logchain.h"
#include "logfile.h"
#include "logread.h"
#include "sbuf.h"

struct logw {
	struct logw_opts o;
	struct chain chain;
	struct chain durable;	/* the chain as of the last record on disk */
	struct sbuf buf;	/* sealed records not yet written */
	unsigned int nbuf;
	int fd;
	off_t size;		/* of the live file, whole records only */
	__u64 last_flush_ns;
	__u64 lost, lost_reported;
	__u64 appended;		/* records sealed by logw__append() since open */
	__u64 last_try_ns;	/* while failing: the last attempt to write */
	int failing;
	char path[1024];
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void now_rfc3339(struct sbuf *sb)
{
	struct timespec ts;
	struct tm tm;
	char b[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	sbuf_printf(sb, "%s.%06ldZ", b, ts.tv_nsec / 1000);
}

/* Every file starts with this record, naming the hash it continues from. */
static int write_start_record(struct logw *w)
{
	char hex[2 * CHAIN_HASH_LEN + 1], json[256];
	struct sbuf ts;

	sbuf_init(&ts);
	now_rfc3339(&ts);
	hex_encode(w->chain.prev, CHAIN_HASH_LEN, hex);
	snprintf(json, sizeof(json), "{\"event\":\"log_start\",\"ts\":\"%s\",\"chain_prev\":\"%s\"}",
		 ts.buf ? ts.buf : "", hex);
	sbuf_free(&ts);
	return logw__append(w, json, strlen(json));
}

static int open_live(struct logw *w)
{
	struct stat st;

	w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (w->fd < 0)
		return -errno;
	if (fstat(w->fd, &st))
		return -errno;
	w->size = st.st_size;
	return 0;
}

int logw__open(const struct logw_opts *o, struct logw **out)
{
	struct logw *w = calloc(1, sizeof(*w));
	struct log_files files = { 0 };
	int err;

	if (!w)
		return -ENOMEM;
	w->o = *o;
	w->fd = -1;
	w->chain.key = o->key;
	w->chain.keylen = o->keylen;
	sbuf_init(&w->buf);
	if (mkdir(o->dir, 0750) && errno != EEXIST) {
		err = -errno;
		goto fail;
	}
	snprintf(w->path, sizeof(w->path), "%s/%s", o->dir, LOG_LIVE);
	/* continue the chain from the newest record on disk */
	err = log_files_list(o->dir, &files);
	if (!err && files.n) {
		char *last = NULL;

		if (!log_last_line(files.path[files.n - 1], &last) && last)
			chain_resume(&w->chain, last);
		free(last);
	}
	log_files_free(&files);
	w->durable = w->chain;
	err = open_live(w);
	if (err)
		goto fail;
	w->last_flush_ns = mono_ns();
	if (w->size == 0) {
		err = write_start_record(w);
		if (err)
			goto fail;
	}
	*out = w;
	return 0;
fail:
	logw__close(w);
	return err;
}

/* Write the buffer, whole or not at all, then fdatasync. */
static int flush(struct logw *w)
{
	size_t off = 0;
	int err = 0;

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
		if (ftruncate(w->fd, w->size))
			p_warn("failed to cut '%s' back to %lld bytes: %s", w->path,
			       (long long)w->size, strerror(errno));
		w->lost += w->nbuf;
		w->chain = w->durable;
		w->last_try_ns = mono_ns();
		if (!w->failing && w->lost_reported == w->lost - w->nbuf)
			p_err("failed to write log '%s': %s; records are being lost "
			      "(counted, and recorded as a gap when writing works again)",
			      w->path, strerror(-err));
		w->failing = 1;
	} else {
		w->size += (off_t)w->buf.len;
		w->durable = w->chain;
	}
	sbuf_reset(&w->buf);
	w->nbuf = 0;
	return 0;
}

static int rotate(struct logw *w);

int logw__append(struct logw *w, const char *json, size_t len)
{
	int err;

	if (w->failing) {
		/* a full disk: count, and try again (gap record first) once a second */
		char gap[160];
		__u64 lost = w->lost - w->lost_reported;

		if (mono_ns() - w->last_try_ns < 1000000000ull) {
			w->lost++;
			return 0;
		}
		snprintf(gap, sizeof(gap), "{\"event\":\"gap\",\"lost\":%llu,\"reason\":\"write failed\"}",
			 (unsigned long long)lost);
		err = chain_seal(&w->chain, gap, strlen(gap), &w->buf);
		if (err)
			return err;
		sbuf_putc(&w->buf, '\n');
		w->nbuf++;
		w->failing = 0;
		flush(w);	/* sets failing again, quietly, if the disk is still full */
		if (w->failing)
			/* still full: flush() counted the gap record as lost; it
			 * stands for this record, which is not written either */
			return 0;
		w->lost_reported += lost;
		p_warn("log '%s' writable again after %llu lost records", w->path,
		       (unsigned long long)lost);
	}
	err = chain_seal(&w->chain, json, len, &w->buf);
	if (err)
		return err;
	sbuf_putc(&w->buf, '\n');
	w->nbuf++;
	w->appended++;
	if (w->nbuf >= w->o.flush_records)
		flush(w);
	if (w->o.max_size && (size_t)w->size + w->buf.len >= w->o.max_size && !w->failing)
		return rotate(w);
	return 0;
}

int logw__tick(struct logw *w, int final)
{
	if (final || mono_ns() - w->last_flush_ns >= (__u64)w->o.flush_ms * 1000000ull ||
	    w->nbuf >= w->o.flush_records)
		flush(w);
	return 0;
}

/* gzip src into dst atomically (tmp + rename); 0 or -errno. */
static int gzip_file(const char *src, const char *dst)
{
	char tmp[1100], buf[65536];
	int in, err = 0;
	gzFile gz;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	gz = gzopen(tmp, "wb1");	/* fast: the agent's loop waits for this */
	if (!gz) {
		close(in);
		return -EIO;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (gzwrite(gz, buf, (unsigned)n) != n) {
			err = -EIO;
			break;
		}
	if (n < 0)
		err = -errno;
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	close(in);
	if (!err) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		if (rename(tmp, dst))
			err = -errno;
	}
	if (err)
		unlink(tmp);
	return err;
}

static void retention(struct logw *w)
{
	struct log_files files = { 0 };
	size_t rotated = 0, i;

	if (log_files_list(w->o.dir, &files))
		return;
	for (i = 0; i < files.n; i++)
		rotated += log_file_is_rotated(files.path[i]);
	for (i = 0; i < files.n && rotated > w->o.max_files; i++) {
		if (!log_file_is_rotated(files.path[i]))
			continue;
		if (!unlink(files.path[i]))
			rotated--;
	}
	log_files_free(&files);
}

static int rotate(struct logw *w)
{
	char dst[1100];
	int err;

	flush(w);
	if (w->failing)
		return 0;
	/* named by the last record it holds: names sort by age */
	snprintf(dst, sizeof(dst), "%s/bindwatch-%020llu.log.gz", w->o.dir,
		 (unsigned long long)w->chain.seq);
	err = gzip_file(w->path, dst);
	if (err) {
		p_warn("failed to compress '%s' into '%s': %s; not rotating", w->path, dst,
		       strerror(-err));
		return 0;
	}
	close(w->fd);
	w->fd = -1;
	if (unlink(w->path))
		return -errno;
	err = open_live(w);
	if (err)
		return err;
	retention(w);
	return write_start_record(w);
}

int logw__reopen(struct logw *w)
{
	flush(w);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (open_live(w))
		return -errno;
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
	if (w->fd >= 0) {
		flush(w);
		close(w->fd);
	}
	sbuf_free(&w->buf);
	free(w);
}
