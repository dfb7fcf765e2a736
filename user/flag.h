/* Flags on a record: one way to add one, for collisions and claims alike. */
#ifndef BW_FLAG_H
#define BW_FLAG_H

#include "record.h"

/*
 * A new zeroed flag of kind and severity on r (service may be NULL), its
 * message left for the caller; NULL when r already has BW_MAX_FLAGS.
 */
struct bw_flag *flag__add(struct bw_record *r, enum bw_flag_kind kind,
			  enum bw_severity severity, const char *service);

/* The NDJSON "kind" of a flag ("collision", ...); "unknown" outside the enum. */
const char *flag_kind_name(enum bw_flag_kind kind);
/* The flag kind named name, or -EINVAL. */
int flag_kind_from_name(const char *name);

#endif
