/*
 * The sealed log as a sink transport: each whole NDJSON record is sealed and
 * appended by logfile.c.  What logw's API does not say through its return
 * values (records lost to a full disk) is looked for here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "logfile.h"
#include "sink_core.h"
#include "sinks.h"

struct log_transport {
	struct logw *w;
	__u64 lost_seen;	/* logw__lost() at the last flush */
};

static int log_deliver(void *ctx, enum output_kind k, const void *obj, const char *text,
		       size_t len)
{
	(void)k;
	(void)obj;
	return logw__append(((struct log_transport *)ctx)->w, text, len);
}

static int log_flush(void *ctx, int final)
{
	struct log_transport *t = ctx;
	int err = logw__tick(t->w, final);
	__u64 lost = logw__lost(t->w);

	/* logw__tick() does not fail on a write error: the loss shows in the
	 * count (and as a gap record once writing works again) */
	if (lost > t->lost_seen) {
		p_warn("%llu records could not be written to the log (%llu in all)",
		       (unsigned long long)(lost - t->lost_seen), (unsigned long long)lost);
		t->lost_seen = lost;
	}
	return err;
}

static int log_hup(void *ctx)
{
	int err = logw__reopen(((struct log_transport *)ctx)->w);

	/* say "reopened" only when it was */
	if (err)
		p_err("failed to reopen the log: %s", strerror(-err));
	else
		p_info("log reopened");
	return err;
}

static const struct sink_transport log_transport_ops = {
	"log", log_deliver, log_flush, log_hup, free,
};

int sink_log__new(struct logw *w, size_t max_record, struct bw_sink *out)
{
	struct log_transport *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->w = w;
	return sink_core__new(output_json, max_record, &log_transport_ops, t, out);
}
