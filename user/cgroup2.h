/* Where the cgroup-v2 hierarchy is mounted: one lookup for every caller. */
#ifndef BW_CGROUP2_H
#define BW_CGROUP2_H

#include <stddef.h>

/* The cgroup-v2 mount point, from /proc/self/mountinfo, into buf (len
 * bytes); 0, -ENOENT when there is none, or -ENAMETOOLONG. */
int find_cgroup2_root(char *buf, size_t len);

#endif
