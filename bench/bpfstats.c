/*
 * bpfstats CMD [ARG...]: run CMD with the kernel's BPF run-time statistics
 * on (BPF_ENABLE_STATS: run_cnt and run_time_ns per program, as bpftool
 * prog show prints them), off again when this exits: no sysctl to restore.
 * Used by bench/guard.sh to time the guard's programs in the kernel itself.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	union bpf_attr attr;
	int fd, status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bpfstats CMD [ARG...]\n");
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	fd = (int)syscall(__NR_bpf, BPF_ENABLE_STATS, &attr, sizeof(attr));
	if (fd < 0) {
		fprintf(stderr, "bpfstats: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		close(fd);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
