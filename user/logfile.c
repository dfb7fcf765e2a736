/* The sealed log's writer: seal each record into a buffer whole or not at
 * all, flush it on a bounded window, count what a failing disk loses and say
 * so with a gap record once writing works again.  The folder, the live
 * file and the anchor are logfile_dir.c; rotation logfile_rotate.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "logfile_internal.h"

__u64 logw_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

void logw_now_rfc3339(char *out, size_t n)
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
int logw__seal(struct logw *w, const char *json, size_t len)
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

/*
 * Write the buffer, whole or not at all, then fdatasync.  Write errors are
 * counted (w->failing); -EIO only when the file cannot be cut back to its
 * last whole record, i.e. half a record may be on disk.
 */
int logw__flush(struct logw *w, int final)
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
	w->last_flush_ns = logw_mono_ns();
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
		w->last_try_ns = logw_mono_ns();
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
			logw__write_anchor(w, final);
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
	if (w->failing && logw_mono_ns() - w->last_try_ns < 1000000000ull) {
		*skip = 1;	/* a full disk: try again (gap record first) once a second */
		return 0;
	}
	logw_now_rfc3339(ts, sizeof(ts));
	snprintf(gap, sizeof(gap), "{\"event\":\"gap\",\"ts\":\"%s\",\"lost\":%llu,\"reason\":\"%s\"}",
		 ts, (unsigned long long)lost, w->gap_reason ? w->gap_reason : "unknown");
	if (logw__seal(w, gap, strlen(gap))) {
		*skip = 1;
		return 0;
	}
	if (was_failing) {
		w->failing = 0;
		err = logw__flush(w, 0);	/* sets failing again, quietly, if the disk is still full */
		if (err)
			return err;
		if (w->failing) {
			/* still full: logw__flush() counted the gap record (alone in the
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
	err = logw__seal(w, json, len);
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
		err = logw__flush(w, 0);
		if (err)
			return err;
	}
	if (w->o.max_size && (size_t)w->size + w->buf.len >= w->o.max_size && !w->failing)
		return logw__rotate(w);
	return 0;
}

int logw__tick(struct logw *w, int final)
{
	int skip, err = 0;

	/* a gap waiting for the disk is written even when no record comes */
	if (w->lost > w->lost_reported)
		err = gap_first(w, &skip);
	if (!err && (final || logw_mono_ns() - w->last_flush_ns >= (__u64)w->o.flush_ms * 1000000ull ||
		     w->nbuf >= w->o.flush_records))
		err = logw__flush(w, final);
	return err;
}

/* Every file starts with this record, naming the hash it continues from. */
int logw__write_start(struct logw *w)
{
	char hex[2 * CHAIN_HASH_LEN + 1], json[256], ts[48];

	logw_now_rfc3339(ts, sizeof(ts));
	hex_encode(w->chain.prev, CHAIN_HASH_LEN, hex);
	snprintf(json, sizeof(json), "{\"event\":\"log_start\",\"ts\":\"%s\",\"chain_prev\":\"%s\"}",
		 ts, hex);
	return logw__seal(w, json, strlen(json));
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
		logw_now_rfc3339(ts, sizeof(ts));
		snprintf(json, sizeof(json), "{\"event\":\"log_stop\",\"ts\":\"%s\",\"lost\":%llu}", ts,
			 (unsigned long long)w->lost);
		logw__append(w, json, strlen(json));
		logw__tick(w, 1);
		/* the last word, also when the disk had no room for the stop record:
		 * the fixed-width line is rewritten in place, no new block needed */
		w->stopping = 1;
		logw__write_anchor(w, 1);
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
