#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"

#define CACHE_SLOTS	256
#define CACHE_TTL_NS	1000000000ull	/* pids are reused; a second is short */

struct proc_slot {
	__u32 pid;
	__u64 at_ns;
	char exe[256];
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
	free(c);
}

int proc_cache__exe(struct proc_cache *c, __u32 pid, __u64 now_ns, char *buf,
		    size_t len)
{
	struct proc_slot *s = &c->slots[pid % CACHE_SLOTS];
	char path[64];
	ssize_t n;

	if (s->pid == pid && s->at_ns && now_ns - s->at_ns < CACHE_TTL_NS) {
		snprintf(buf, len, "%s", s->exe);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, s->exe, sizeof(s->exe) - 1);
	if (n < 0) {
		int err = -errno;

		s->pid = 0;
		buf[0] = 0;
		return err;
	}
	s->exe[n] = 0;
	s->pid = pid;
	s->at_ns = now_ns;
	snprintf(buf, len, "%s", s->exe);
	return 0;
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
