/* A names table indexed by an enum, read both ways (enum -> name for output,
 * name -> enum for input), so a vocabulary is written down once. */
#ifndef BW_NAMES_H
#define BW_NAMES_H

#include <stddef.h>

#define NAMES_LEN(tab) (sizeof(tab) / sizeof((tab)[0]))

/* names[v], or "unknown" when v is outside the table or has no name. */
const char *names__name(const char *const *names, size_t n, unsigned int v);
/* The index of name in names (exact match), or -EINVAL. */
int names__index(const char *const *names, size_t n, const char *name);

#endif
