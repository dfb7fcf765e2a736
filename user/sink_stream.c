/*
 * The stream sinks (stdout): terminal text and NDJSON.  Whole records are
 * buffered and written at each flush (~100 ms), or at once when a drained
 * ring makes the backlog large.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "sink_core.h"
#include "sinks.h"

/* a full ring drained at once must not become megabytes of buffered text */
#define STREAM_BACKLOG (64 * 1024)

struct stream {
	FILE *f;
	struct sbuf out;	/* whole records waiting for the next flush */
	int ndjson;		/* one object per line: add the newline */
};

static int stream_flush(void *ctx, int final)
{
	struct stream *s = ctx;
	int err = 0;

	(void)final;
	if (s->out.len && fwrite(s->out.buf, 1, s->out.len, s->f) != s->out.len)
		err = -EIO;
	if (fflush(s->f))
		err = -EIO;
	sbuf_reset(&s->out);
	return err;
}

static int stream_deliver(void *ctx, enum output_kind k, const void *obj, const char *text,
			  size_t len)
{
	struct stream *s = ctx;
	size_t mark = s->out.len;

	/* a copy, not "%.*s": vfprintf per record showed in a storm's profile */
	sbuf_putn(&s->out, text, len);
	if (s->ndjson)
		sbuf_putc(&s->out, '\n');
	if (s->out.oom) {
		/* the bytes before the mark are whole records: keep only them */
		s->out.oom = 0;
		s->out.len = mark;
		if (s->out.buf)
			s->out.buf[mark] = 0;
		return -ENOMEM;
	}
	if (k == OUT_READY) {
		if (!s->ndjson)
			p_warn("watching inet bind/listen/close (backend %s); Ctrl-C to stop",
			       ((const struct bw_ready *)obj)->backend);
		/* readers wait for the ready line before they start */
		return stream_flush(s, 0);
	}
	return s->out.len > STREAM_BACKLOG ? stream_flush(s, 0) : 0;
}

static void stream_destroy(void *ctx)
{
	struct stream *s = ctx;

	if (!s)
		return;
	sbuf_free(&s->out);
	free(s);
}

static const struct sink_transport text_transport = {
	"text", stream_deliver, stream_flush, NULL, stream_destroy,
};
static const struct sink_transport json_transport = {
	"json", stream_deliver, stream_flush, NULL, stream_destroy,
};

static int stream_new(FILE *f, int ndjson, size_t max_record, struct bw_sink *out)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->f = f;
	s->ndjson = ndjson;
	sbuf_init(&s->out);
	return sink_core__new(ndjson ? output_json : output_text, max_record,
			      ndjson ? &json_transport : &text_transport, s, out);
}

int sink_text__new(FILE *f, size_t max_record, struct bw_sink *out)
{
	return stream_new(f, 0, max_record, out);
}

int sink_json__new(FILE *f, size_t max_record, struct bw_sink *out)
{
	return stream_new(f, 1, max_record, out);
}
