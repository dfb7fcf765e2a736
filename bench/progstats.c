/*
 * progstats: what one agent's BPF programs cost, measured by the kernel.
 *
 *   progstats PID -- CMD [ARG...]
 *
 * Turns on the kernel's run-time statistics with BPF_ENABLE_STATS (a
 * reference held by a file descriptor, so nothing to restore: they go off
 * again when this process exits, unless someone else also asked for them,
 * and kernel.bpf_stats_enabled is never written), reads run_cnt and
 * run_time_ns of the programs PID holds (the prog_id of every BPF program or
 * link descriptor in /proc/PID/fdinfo — other agents' programs on the same
 * host are not counted), runs CMD, reads them again and prints one line per
 * program:
 *
 *   <name> <prog id> <runs> <run_time_ns>
 *
 * (the difference over CMD), then "status <CMD's exit status>".
 * Raw bpf(2) only, no libbpf: it also runs in the busybox VM.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROGS 64

struct prog {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	__u64 cnt0, ns0;
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The program ids PID holds, each once; the count or -errno. */
static int held_prog_ids(pid_t pid, struct prog *p, int max)
{
	char dir[64], path[320], line[128];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		FILE *f;
		unsigned int id;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			int i;

			if (sscanf(line, "prog_id: %u", &id) != 1)
				continue;
			for (i = 0; i < n && p[i].id != id; i++)
				;
			if (i == n && n < max)
				p[n++].id = id;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static int prog_stats(struct prog *p, __u64 *cnt, __u64 *ns)
{
	union bpf_attr attr;
	struct bpf_prog_info info;
	int fd, err = 0;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = p->id;
	fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (__u32)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (__u64)(unsigned long)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		err = -errno;
	close(fd);
	if (err)
		return err;
	snprintf(p->name, sizeof(p->name), "%s", info.name);
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

int main(int argc, char **argv)
{
	struct prog progs[MAX_PROGS];
	union bpf_attr attr;
	int n, i, stats_fd, status = 0;
	pid_t pid, child;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: progstats PID -- CMD [ARG...]\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	memset(progs, 0, sizeof(progs));
	n = held_prog_ids(pid, progs, MAX_PROGS);
	if (n <= 0) {
		fprintf(stderr, "progstats: no BPF programs held by pid %d\n", (int)pid);
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	stats_fd = (int)sys_bpf(BPF_ENABLE_STATS, &attr);
	if (stats_fd < 0) {
		fprintf(stderr, "progstats: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		if (prog_stats(&progs[i], &progs[i].cnt0, &progs[i].ns0))
			progs[i].id = 0;
	child = fork();
	if (child == 0) {
		close(stats_fd);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	if (child < 0 || waitpid(child, &status, 0) < 0) {
		perror("progstats: run");
		return 1;
	}
	for (i = 0; i < n; i++) {
		__u64 cnt, ns;

		if (!progs[i].id || prog_stats(&progs[i], &cnt, &ns))
			continue;
		printf("%s %u %llu %llu\n", progs[i].name, progs[i].id,
		       (unsigned long long)(cnt - progs[i].cnt0),
		       (unsigned long long)(ns - progs[i].ns0));
	}
	printf("status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	close(stats_fd);
	return 0;
}
