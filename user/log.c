#include <stdarg.h>
#include <stdio.h>
#include "log.h"

/* The one piece of process-wide state: how chatty diagnostics are. */
static int level = BW_LOG_WARN;

void log_set_level(int l)
{
	level = l;
}

int log_level(void)
{
	return level;
}

static void vlog(int l, const char *prefix, const char *fmt, va_list ap)
{
	if (l > level)
		return;
	fprintf(stderr, "bindwatch: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define DEFINE_LOG(name, l, prefix)				\
	void name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		va_start(ap, fmt);				\
		vlog(l, prefix, fmt, ap);			\
		va_end(ap);					\
	}

DEFINE_LOG(p_err, BW_LOG_ERR, "error: ")
DEFINE_LOG(p_warn, BW_LOG_WARN, "warning: ")
DEFINE_LOG(p_info, BW_LOG_INFO, "")
DEFINE_LOG(p_debug, BW_LOG_DEBUG, "debug: ")
