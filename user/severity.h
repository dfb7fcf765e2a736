/* How serious a flag or a claim is: one enum and one names table, used to
 * read registry files and to write NDJSON and text alike. */
#ifndef BW_SEVERITY_H
#define BW_SEVERITY_H

enum bw_severity { BW_SEV_INFO, BW_SEV_WARNING, BW_SEV_ERROR };
#define BW_SEV_COUNT (BW_SEV_ERROR + 1)

/* "info", "warning", "error"; "unknown" for a value outside the enum. */
const char *severity_name(enum bw_severity s);
/* The severity named name, or -EINVAL. */
int severity_from_name(const char *name);

#endif
