/*
 * bindwatch benchmark workloads.  Each prints one number; bench/run.sh
 * interleaves configurations and computes medians and ratios.
 *
 *   bench bind N       ns per socket()+bind(127.0.0.1:0)+close(), TCP
 *   bench listen N     ns per socket()+bind()+listen()+close(), TCP
 *   bench udp N        ns per socket()+bind(127.0.0.1:0)+close(), UDP
 *   bench getppid N    ns per getppid()
 *   bench storm W S    bind cycles per second from W processes for S seconds
 *                      (prints "rate total")
 *   bench ready CMD..  ms from exec of CMD to its first line on stdout
 *   bench listeners N  open N TCP listeners on 127.0.0.1, print "ready",
 *                      hold them until stdin closes
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cycle(int type, int do_listen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0), err = 0;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		err = -1;
	if (!err && do_listen && listen(fd, 1))
		err = -1;
	close(fd);
	return err;
}

static double per_op(const char *op, long n)
{
	double t0 = now();
	long i;

	for (i = 0; i < n; i++) {
		if (!strcmp(op, "getppid")) {
			syscall(SYS_getppid);
			continue;
		}
		if (cycle(strcmp(op, "udp") ? SOCK_STREAM : SOCK_DGRAM, !strcmp(op, "listen"))) {
			perror(op);
			exit(1);
		}
	}
	return (now() - t0) * 1e9 / (double)n;
}

static int storm(int workers, double secs)
{
	int p[2];
	long total = 0, n;
	double t0 = now();

	if (pipe(p))
		return 1;
	for (int w = 0; w < workers; w++) {
		if (fork() == 0) {
			long ops = 0;
			double end = now() + secs;

			close(p[0]);
			while (now() < end) {
				for (int k = 0; k < 64; k++)
					if (!cycle(SOCK_STREAM, 0))
						ops++;
			}
			if (write(p[1], &ops, sizeof(ops)) != sizeof(ops))
				_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	while (read(p[0], &n, sizeof(n)) == sizeof(n))
		total += n;
	while (wait(NULL) > 0)
		;
	printf("%.0f %ld\n", (double)total / (now() - t0), total);
	return 0;
}

static int ready(char **cmd)
{
	int p[2];
	char c;
	double t0 = now();
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(p[1]);
	while (read(p[0], &c, 1) == 1 && c != '\n')
		;
	printf("%.1f\n", (now() - t0) * 1e3);
	kill(pid, 2);
	waitpid(pid, NULL, 0);
	return 0;
}

static int listeners(long n)
{
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	char buf[64];

	setrlimit(RLIMIT_NOFILE, &rl);
	for (long i = 0; i < n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1)) {
			perror("listener");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin))
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "storm") && argc == 4)
		return storm(atoi(argv[2]), atof(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "ready"))
		return ready(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "listeners"))
		return listeners(atol(argv[2]));
	if (argc == 3) {
		printf("%.1f\n", per_op(argv[1], atol(argv[2])));
		return 0;
	}
	fprintf(stderr, "usage: see bench/bench.c\n");
	return 2;
}
