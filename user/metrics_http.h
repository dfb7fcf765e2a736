/* The metrics endpoint's HTTP side (libmicrohttpd): the listening socket,
 * the server thread, /metrics and /healthz.  Apart from the counters
 * (metrics.c) because it is the part that faces the network: it parses what
 * any client sends, sheds its capabilities, and only reads the counters
 * through metrics__render() and metrics__healthy(). */
#ifndef BW_METRICS_HTTP_H
#define BW_METRICS_HTTP_H

#include <stddef.h>

struct metrics;
struct MHD_Daemon;

/* "ADDR:PORT", "[V6]:PORT", ":PORT" or "PORT" -> a bound, listening socket
 * in *fd_out (the caller owns it) and the address actually bound in shown.
 * 0, -EINVAL for a spec that does not parse, or -errno. */
int metrics_http__listen(const char *spec, int *fd_out, char *shown, size_t shown_len);

/* Start the server thread on listen_fd, answering from m.  On success the
 * server owns listen_fd (MHD_stop_daemon() closes it); NULL on failure, the
 * fd still the caller's.  Call it with the capabilities the server thread
 * should inherit (none: after the loop dropped them). */
struct MHD_Daemon *metrics_http__start(int listen_fd, struct metrics *m);

#endif
