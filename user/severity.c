#include <errno.h>
#include <string.h>
#include "severity.h"

/* The one table, read both ways; these strings are the NDJSON contract. */
static const char *const names[BW_SEV_COUNT] = {
	[BW_SEV_INFO] = "info",
	[BW_SEV_WARNING] = "warning",
	[BW_SEV_ERROR] = "error",
};

const char *severity_name(enum bw_severity s)
{
	return (unsigned)s < BW_SEV_COUNT ? names[s] : "unknown";
}

int severity_from_name(const char *name)
{
	for (int i = 0; i < BW_SEV_COUNT; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}
