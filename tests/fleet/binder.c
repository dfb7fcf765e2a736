/*
 * The fleet test's hands: binds what tests/fleet/run.sh tells it to, so the
 * agent can be filtered to this one pid, and plays the hostile HTTP clients.
 *
 *   fleet-binder                 commands on stdin, one answer line each:
 *     free PORT                  "ok" if PORT is free for tcp and udp on 127.0.0.1
 *     tcp PORT | udp PORT        bind 127.0.0.1:PORT (tcp also listens), keep it:
 *                                "ok" or "err ERRNO-NUMBER"
 *     closeall                   close every socket kept: "ok N"
 *     storm N                    N x (socket, bind 127.0.0.1:0, listen, close): "ok N"
 *     pid                        "PID"
 *   fleet-binder slow PORT N SECONDS
 *                                N connections to 127.0.0.1:PORT that send a
 *                                request a byte a second, plus garbage ones,
 *                                for SECONDS; prints what the server did
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEPT 64

static int kept[MAX_KEPT], nkept;

static int bind_lo(int type, unsigned short port, int *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, type, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (type == SOCK_STREAM && listen(fd, 8))) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void command(char *line)
{
	char cmd[16];
	unsigned long n = 0;
	int err = 0, fd, fd2;

	if (sscanf(line, "%15s %lu", cmd, &n) < 1)
		return;
	if (!strcmp(cmd, "pid")) {
		printf("%d\n", getpid());
	} else if (!strcmp(cmd, "free")) {
		fd = bind_lo(SOCK_STREAM, (unsigned short)n, &err);
		fd2 = bind_lo(SOCK_DGRAM, (unsigned short)n, &err);
		printf("%s\n", fd >= 0 && fd2 >= 0 ? "ok" : "busy");
		if (fd >= 0)
			close(fd);
		if (fd2 >= 0)
			close(fd2);
	} else if (!strcmp(cmd, "tcp") || !strcmp(cmd, "udp")) {
		fd = bind_lo(cmd[0] == 't' ? SOCK_STREAM : SOCK_DGRAM, (unsigned short)n, &err);
		if (fd >= 0 && nkept < MAX_KEPT) {
			kept[nkept++] = fd;
			printf("ok\n");
		} else {
			printf("err %d\n", err);
		}
	} else if (!strcmp(cmd, "closeall")) {
		printf("ok %d\n", nkept);
		while (nkept)
			close(kept[--nkept]);
	} else if (!strcmp(cmd, "storm")) {
		unsigned long i;

		for (i = 0; i < n; i++) {
			fd = bind_lo(SOCK_STREAM, 0, &err);
			if (fd < 0)
				break;
			close(fd);
		}
		printf("ok %lu\n", i);
	} else {
		printf("unknown\n");
	}
	fflush(stdout);
}

static int connect_lo(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Slow clients and garbage; the server must cut them and keep serving. */
static int slow(unsigned short port, int n, int seconds)
{
	static const char *garbage[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",	/* a TLS hello */
		"BREW /metrics HTCPCP/1.0\r\n\r\n",
		"GET /metrics HTTP/9.9\r\n\r\n",
		"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nabc",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"\r\n\r\n\r\n",
	};
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	int *fds = calloc((size_t)n, sizeof(int)), open_n = 0, cut = 0, big;
	time_t end = time(NULL) + seconds;
	char buf[4096];

	if (!fds)
		return 1;
	for (int i = 0; i < n; i++)
		if ((fds[i] = connect_lo(port)) >= 0)
			open_n++;
	/* garbage, and one header larger than the server's per-connection memory */
	for (size_t g = 0; g < sizeof(garbage) / sizeof(garbage[0]); g++) {
		int fd = connect_lo(port);

		if (fd < 0)
			continue;
		if (write(fd, garbage[g], strlen(garbage[g])) < 0)
			cut++;
		close(fd);
	}
	big = connect_lo(port);
	if (big >= 0) {
		char hdr[65536];

		memset(hdr, 'A', sizeof(hdr));
		if (write(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 30) < 0 ||
		    write(big, hdr, sizeof(hdr)) < 0)
			cut++;
		close(big);
	}
	/* a byte a second on each slow connection until the time is up */
	for (size_t k = 0; time(NULL) < end; k++) {
		for (int i = 0; i < n; i++) {
			if (fds[i] < 0)
				continue;
			if (send(fds[i], req + (k % strlen(req)), 1, MSG_NOSIGNAL) < 0 ||
			    recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) == 0) {
				close(fds[i]);
				fds[i] = -1;
				cut++;
			}
		}
		sleep(1);
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("slow: %d connected, %d cut by the server\n", open_n, cut);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	char line[256];

	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && !strcmp(argv[1], "slow"))
		return slow((unsigned short)atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	while (fgets(line, sizeof(line), stdin))
		command(line);
	return 0;
}
