#include "names.h"
#include "severity.h"

/* The one table, read both ways; these strings are the NDJSON contract. */
static const char *const names[BW_SEV_COUNT] = {
	[BW_SEV_INFO] = "info",
	[BW_SEV_WARNING] = "warning",
	[BW_SEV_ERROR] = "error",
};

const char *severity_name(enum bw_severity s)
{
	return names__name(names, NAMES_LEN(names), s);
}

int severity_from_name(const char *name)
{
	return names__index(names, NAMES_LEN(names), name);
}
