/*
 * Every sink is a renderer (records -> text: output.c's NDJSON or terminal
 * columns) and a transport (where whole rendered records go: a stream, the
 * sealed log, syslog).  The core holds what they share: the render buffer,
 * its bound, and the rule that a record is whole or not handed on at all.
 */
#ifndef BW_SINK_CORE_H
#define BW_SINK_CORE_H

#include "output.h"
#include "sink.h"

/* Render obj of kind k into sb; 0 or -ENOMEM (output_json, output_text). */
typedef int (*sink_render_fn)(struct sbuf *sb, enum output_kind k, const void *obj);

struct sink_transport {
	const char *name;
	/* One whole rendered record (obj: its fields, e.g. for a priority).
	 * 0 or -errno. */
	int (*deliver)(void *ctx, enum output_kind k, const void *obj, const char *text,
		       size_t len);
	int (*flush)(void *ctx, int final);	/* may be NULL */
	int (*hup)(void *ctx);			/* may be NULL */
	void (*destroy)(void *ctx);		/* accepts NULL */
};

/*
 * A sink from a renderer and a transport with its context (owned by the
 * sink from now on, also on failure).  max_record: 0, or the most bytes a
 * record may take (a longer one is refused: -ENOMEM, and the fan-out sends
 * a gap instead).  0 or -ENOMEM.
 */
int sink_core__new(sink_render_fn render, size_t max_record, const struct sink_transport *t,
		   void *tctx, struct bw_sink *out);

#endif
