#include <stdio.h>
#include <string.h>
#include "flag.h"
#include "names.h"

/* The one table of flag kinds, read both ways; these strings are the NDJSON
 * contract ("kind":"collision"). */
static const char *const kind_names[BW_FLAG_KIND_COUNT] = {
	[BW_FLAG_COLLISION] = "collision",
	[BW_FLAG_CLAIM] = "claim",
	[BW_FLAG_EPHEMERAL_STEAL] = "ephemeral_steal",
	[BW_FLAG_REUSEPORT_SHARED] = "reuseport_shared",
	[BW_FLAG_DUALSTACK] = "dualstack",
	[BW_FLAG_EPHEMERAL] = "ephemeral",
};

const char *flag_kind_name(enum bw_flag_kind kind)
{
	return names__name(kind_names, NAMES_LEN(kind_names), kind);
}

int flag_kind_from_name(const char *name)
{
	return names__index(kind_names, NAMES_LEN(kind_names), name);
}

struct bw_flag *flag__add(struct bw_record *r, enum bw_flag_kind kind,
			  enum bw_severity severity, const char *service)
{
	struct bw_flag *f;

	if (r->nflags >= BW_MAX_FLAGS)
		return NULL;
	f = &r->flags[r->nflags++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = severity;
	if (service)
		snprintf(f->service, sizeof(f->service), "%s", service);
	return f;
}
