/* What the text and NDJSON sinks share: records buffered whole, written to a
 * stream at each flush. */
#ifndef BW_SINK_STREAM_H
#define BW_SINK_STREAM_H

#include <stdio.h>
#include "sbuf.h"

struct sink_stream {
	FILE *f;
	struct sbuf out;	/* whole records waiting for the next flush */
	size_t max_record;	/* 0: no bound */
	size_t mark;		/* where the record being built starts */
};

void sink_stream__init(struct sink_stream *s, FILE *f, size_t max_record);
/* Start a record: returns the buffer to render into. */
struct sbuf *sink_stream__begin(struct sink_stream *s);
/*
 * End it: err is the renderer's result.  On error the partial record is cut
 * away (the buffer keeps only whole records) and err is returned; a large
 * backlog is written at once.  0 or -errno.
 */
int sink_stream__end(struct sink_stream *s, int err);
/* Write what is buffered; 0 or -EIO. */
int sink_stream__flush(struct sink_stream *s);
void sink_stream__fini(struct sink_stream *s);

#endif
