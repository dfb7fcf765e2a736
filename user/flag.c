#include <stdio.h>
#include <string.h>
#include "flag.h"

struct bw_flag *flag__add(struct bw_record *r, const char *kind, const char *severity,
			  const char *service)
{
	struct bw_flag *f;

	if (r->nflags >= BW_MAX_FLAGS)
		return NULL;
	f = &r->flags[r->nflags++];
	memset(f, 0, sizeof(*f));
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->severity, sizeof(f->severity), "%s", severity);
	if (service)
		snprintf(f->service, sizeof(f->service), "%s", service);
	return f;
}
