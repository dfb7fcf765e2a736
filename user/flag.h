/* Flags on a record: one way to add one, for collisions and claims alike. */
#ifndef BW_FLAG_H
#define BW_FLAG_H

#include "record.h"

/*
 * A new zeroed flag of kind and severity on r (service may be NULL), its
 * message left for the caller; NULL when r already has BW_MAX_FLAGS.
 */
struct bw_flag *flag__add(struct bw_record *r, const char *kind, const char *severity,
			  const char *service);

#endif
