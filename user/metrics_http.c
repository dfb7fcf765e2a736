/* The metrics endpoint's HTTP side (contract in metrics_http.h): runs in
 * libmicrohttpd's internal thread, never in the loop's, so a slow or hostile
 * client costs the agent nothing but this thread's time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <unistd.h>
#include <microhttpd.h>
#include "metrics.h"
#include "metrics_http.h"
#include "parse.h"

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;	/* MHD closes the connection */
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

#define TEXT "text/plain; charset=utf-8"

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct metrics *m = cls;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT, "GET or HEAD only\n", 17,
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics")) {
		struct sbuf sb;

		sbuf_init(&sb);
		metrics__render(m, &sb);
		if (sb.oom || !sb.buf) {
			sbuf_free(&sb);
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, "out of memory\n", 14,
				     MHD_RESPMEM_PERSISTENT);
		}
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", sb.buf,
			     sb.len, MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/healthz")) {
		if (metrics__healthy(m, metrics_now_ns()))
			return reply(c, MHD_HTTP_OK, TEXT, "ok\n", 3, MHD_RESPMEM_PERSISTENT);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
			     "not attached, or the ring buffer is not being read\n", 51,
			     MHD_RESPMEM_PERSISTENT);
	}
	return reply(c, MHD_HTTP_NOT_FOUND, TEXT, "try /metrics or /healthz\n", 25,
		     MHD_RESPMEM_PERSISTENT);
}

/* "ADDR:PORT", "[V6]:PORT", ":PORT", "PORT" -> a bound, listening socket. */
int metrics_http__listen(const char *spec, int *fd_out, char *shown, size_t shown_len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char host[64] = "", hostbuf[INET6_ADDRSTRLEN];
	const char *port_s, *colon;
	unsigned short port;
	socklen_t slen;
	int fd = -1, one = 1, err;

	memset(&ss, 0, sizeof(ss));
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		port_s = end + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		if ((size_t)(colon - spec) >= sizeof(host) || strchr(spec, ':') != colon)
			return -EINVAL;
		memcpy(host, spec, (size_t)(colon - spec));
		port_s = colon + 1;
	} else {
		port_s = spec;
	}
	/* 0 lets the kernel choose: tests read the address back */
	if (parse_port(port_s, 1, &port))
		return -EINVAL;
	if (spec[0] == '[') {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		slen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (host[0] && inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		slen = sizeof(*sin);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a restarted agent must not wait out TIME_WAIT to serve again */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0) {
		if (ss.ss_family == AF_INET6)
			snprintf(shown, shown_len, "[%s]:%u",
				 inet_ntop(AF_INET6, &sin6->sin6_addr, hostbuf, sizeof(hostbuf)),
				 ntohs(sin6->sin6_port));
		else
			snprintf(shown, shown_len, "%s:%u",
				 inet_ntop(AF_INET, &sin->sin_addr, hostbuf, sizeof(hostbuf)),
				 ntohs(sin->sin_port));
	}
	*fd_out = fd;
	return 0;
}

/*
 * The server's thread parses what any client sends: it holds no capability.
 * Capabilities are per thread (capset), so it drops its own at the first
 * connection, before it reads a byte.
 */
static __thread int shed;

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2];

	(void)cls;
	(void)socket_ctx;
	if (shed || toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	memset(none, 0, sizeof(none));
	if (syscall(SYS_capset, &hdr, none) == 0)
		shed = 1;
	else
		/* keep serving: the page is the same, only the defence is less */
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 5u);
}

/*
 * Started at ready(): after the loop dropped its capabilities (privs.c), which
 * a thread created later inherits.
 */
struct MHD_Daemon *metrics_http__start(int listen_fd, struct metrics *m)
{
	struct MHD_Daemon *d;
	sigset_t all, old;

	/*
	 * The server thread must not take SIGINT/SIGTERM/SIGHUP: they interrupt
	 * the loop's poll.  It inherits the mask it is created with.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, m,
		MHD_OPTION_LISTEN_SOCKET, listen_fd,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		/* slow or idle clients are cut after 5 s; at most 200 at once,
		 * 16 KiB each: a flood costs ~3 MiB and never the loop's time */
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)5,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)200,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}
