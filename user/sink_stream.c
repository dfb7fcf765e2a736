/* Whole records buffered for a stream (stdout). */
#include <errno.h>
#include "sink_stream.h"

/* a full ring drained at once must not become megabytes of buffered text */
#define STREAM_BACKLOG (64 * 1024)

void sink_stream__init(struct sink_stream *s, FILE *f, size_t max_record)
{
	s->f = f;
	sbuf_init(&s->out);
	s->max_record = max_record;
	s->mark = 0;
}

struct sbuf *sink_stream__begin(struct sink_stream *s)
{
	s->mark = s->out.len;
	s->out.limit = s->max_record ? s->mark + s->max_record + 1 : 0;
	return &s->out;
}

int sink_stream__end(struct sink_stream *s, int err)
{
	s->out.limit = 0;
	if (err || s->out.oom) {
		/* the bytes before the mark are whole records: keep them */
		s->out.oom = 0;
		s->out.len = s->mark;
		if (s->out.buf)
			s->out.buf[s->mark] = 0;
		return err ? err : -ENOMEM;
	}
	if (s->out.len > STREAM_BACKLOG)
		return sink_stream__flush(s);
	return 0;
}

int sink_stream__flush(struct sink_stream *s)
{
	int err = 0;

	if (s->out.len && fwrite(s->out.buf, 1, s->out.len, s->f) != s->out.len)
		err = -EIO;
	if (fflush(s->f))
		err = -EIO;
	sbuf_reset(&s->out);
	return err;
}

void sink_stream__fini(struct sink_stream *s)
{
	sbuf_free(&s->out);
}
