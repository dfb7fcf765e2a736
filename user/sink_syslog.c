/* syslog(3) as a sink transport (and so the journal): NDJSON text, the
 * priority chosen from the record's fields, never from its text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "sink_core.h"
#include "sinks.h"

int sink_syslog__priority(const struct bw_record *r)
{
	if (r->err || r->undecided)
		return LOG_WARNING;
	for (int i = 0; i < r->nflags && i < BW_MAX_FLAGS; i++)
		if (r->flags[i].severity == BW_SEV_ERROR)
			return LOG_WARNING;
	return LOG_INFO;
}

static int syslog_deliver(void *ctx, enum output_kind k, const void *obj, const char *text,
			  size_t len)
{
	int prio = LOG_INFO;

	(void)ctx;
	if (k == OUT_RECORD)
		prio = sink_syslog__priority(obj);
	else if (k == OUT_GAP || (k == OUT_RELOAD && !((const struct bw_reload *)obj)->ok))
		prio = LOG_WARNING;
	syslog(prio, "%.*s", (int)len, text);
	return 0;
}

static void syslog_destroy(void *ctx)
{
	(void)ctx;
	closelog();
}

static const struct sink_transport syslog_transport = {
	"syslog", syslog_deliver, NULL, NULL, syslog_destroy,
};

int sink_syslog__new(size_t max_record, struct bw_sink *out)
{
	openlog("bindwatch", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return sink_core__new(output_json, max_record, &syslog_transport, NULL, out);
}
