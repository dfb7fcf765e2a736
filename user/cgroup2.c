/* The cgroup-v2 mount point. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cgroup2.h"

int find_cgroup2_root(char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	/* "36 35 0:31 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw" */
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[1024];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		if (strlen(mnt) >= len) {
			err = -ENAMETOOLONG;
			continue;
		}
		strcpy(buf, mnt);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}
