/* A holder's processes for output: its owners now, and the binder that left. */
#ifndef BW_HOLDER_H
#define BW_HOLDER_H

#include "record.h"
#include "sbuf.h"

/*
 * JSON members of a holder object: "exited", "owners" (every
 * process holding the socket now, as ss -p lists them; [] when unknown),
 * "more_owners" when they did not all fit, and "bound_by" (the process that
 * bound it when it no longer holds it, else null).
 */
struct jw;
void holder_json_procs(struct jw *w, const struct bw_holder *h);

/*
 * Text after "held by comm[pid]": " (exited)", ", also a[1], b[2]",
 * ", bound by x[3] (exited)", " in docker container web (3f2a9b1c0d4e)".
 */
void holder_text_procs(struct sbuf *sb, const struct bw_holder *h);

/* " in RUNTIME container NAME (SHORT-ID)", or nothing when ci names none. */
void container_text(struct sbuf *sb, const struct container_info *ci);

#endif
