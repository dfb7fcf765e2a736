#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "file.h"
#include "proc.h"

#define CACHE_SLOTS	256
#define CACHE_TTL_NS	1000000000ull	/* pids are reused; a second is short */

struct proc_slot {
	__u32 pid;
	__u64 at_ns;
	char *exe;	/* malloc'd: paths up to PATH_MAX, most far shorter */
};

struct proc_cache {
	struct proc_slot slots[CACHE_SLOTS];
};

struct proc_cache *proc_cache__new(void)
{
	return calloc(1, sizeof(struct proc_cache));
}

void proc_cache__free(struct proc_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(c->slots[i].exe);
	free(c);
}

int proc_cache__exe(struct proc_cache *c, __u32 pid, __u64 now_ns, char *buf,
		    size_t len)
{
	struct proc_slot *s = &c->slots[pid % CACHE_SLOTS];
	char path[64], exe[PATH_MAX];
	ssize_t n;

	buf[0] = 0;
	if (!(s->pid == pid && s->at_ns && now_ns - s->at_ns < CACHE_TTL_NS && s->exe)) {
		snprintf(path, sizeof(path), "/proc/%u/exe", pid);
		n = readlink(path, exe, sizeof(exe));
		if (n < 0) {
			s->pid = 0;
			return -errno;
		}
		if ((size_t)n >= sizeof(exe))	/* readlink cuts silently: we do not */
			return -ENAMETOOLONG;
		exe[n] = 0;
		free(s->exe);
		s->exe = strdup(exe);
		if (!s->exe) {
			s->pid = 0;
			return -ENOMEM;
		}
		s->pid = pid;
		s->at_ns = now_ns;
	}
	if (strlen(s->exe) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, s->exe, strlen(s->exe) + 1);
	return 0;
}

ssize_t proc_read_cmdline(__u32 pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = file__read_small(path, buf, len);
	return n == 0 ? -ENODATA : n;
}

int proc_has_net_bind_service(__u32 pid)
{
	char path[64], line[256];
	unsigned long long caps;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			ret = (caps >> 10) & 1; /* CAP_NET_BIND_SERVICE */
			break;
		}
	}
	fclose(f);
	return ret;
}
