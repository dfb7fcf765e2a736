/* Registry claims on the records: a bind on a port some service is known for. */
#ifndef BW_CLAIMS_H
#define BW_CLAIMS_H

#include "record.h"
#include "registry.h"
#include "sbuf.h"

/*
 * Add a "claim" flag to a successful bind (or a listen that chose its port)
 * whose port the strongest registry layer claims for other programs.  No
 * flag when the process matches an expected holder of that layer.
 */
void claims_apply(const struct registry *reg, struct bw_record *r);

/*
 * The ports an outbound connection should not take: every port of a de facto
 * or site claim (ranges up to 1024 ports), as an 8192-byte bitmap.
 */
void claims_watch_bitmap(const struct registry *reg, __u8 *bitmap);

/* For a connect record: the "ephemeral_steal" flag naming the claim. */
void claims_steal(const struct registry *reg, struct bw_record *r);

struct jw;
/* For who: the claims on a port, as the next JSON value of w (an array) and as text lines. */
void claims_json(struct jw *w, unsigned short port, void *reg);
void claims_text(struct sbuf *sb, unsigned short port, void *reg);

/* Load embedded + dir + files into a finished registry; 0 or -errno, err says where. */
int claims_load(struct registry **out, const char *dir, const char *const *files,
		int nfiles, char *err, size_t errlen);

#endif
