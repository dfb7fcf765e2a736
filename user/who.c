/* bindwatch who: who holds a port now, in every network namespace, without
 * loading any BPF; what the registry says the port is for. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "output.h"
#include "parse.h"
#include "snapshot.h"
#include "who.h"
#include "container.h"
#include "cgroup2.h"
#include "json_writer.h"

int netns_open_arg(const char *arg)
{
	char path[300];
	unsigned long ino;
	int fd;

	if (!parse_uint(arg, 1, 0xffffffffu, &ino))
		return netns_open_by_inode((__u32)ino);
	if (!strcmp(arg, "host")) {
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (strchr(arg, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", arg);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct snap_sock *x = a, *y = b;

	if (x->h.port != y->h.port)
		return x->h.port < y->h.port ? -1 : 1;
	if (x->h.netns != y->h.netns)
		return x->h.netns < y->h.netns ? -1 : 1;
	if (x->h.proto != y->h.proto)
		return x->h.proto < y->h.proto ? -1 : 1;
	return x->h.family < y->h.family ? -1 : x->h.family > y->h.family;
}

/* s escaped for a terminal, padded to width; never cut inside an escape. */
static void term_col(struct sbuf *sb, const char *s, size_t n, int width)
{
	size_t before = sb->len;

	sbuf_term_str(sb, s, n);
	for (size_t w = sb->len - before; w < (size_t)width; w++)
		sbuf_putc(sb, ' ');
}

/* The CONTAINER column: its name, else its short id, else "-". */
static void container_col(struct sbuf *sb, const struct container_info *ci)
{
	char id[13];

	if (ci->name[0]) {
		term_col(sb, ci->name, sizeof(ci->name), 20);
		return;
	}
	snprintf(id, sizeof(id), "%.12s", ci->id[0] ? ci->id : "-");
	term_col(sb, id, sizeof(id), 20);
}

static void print_text(const struct snapshot *s, struct sbuf *sb)
{
	__u32 last_ns = 0;
	char last_name[64] = "";

	sbuf_printf(sb, "%-5s %-5s %-22s %-9s %7s %-15s %5s %-20s %s\n", "PORT", "PROTO",
		    "ADDRESS", "STATE", "PID", "COMM", "UID", "CONTAINER", "NETNS");
	for (size_t i = 0; i < s->n; i++) {
		const struct bw_holder *h = &s->socks[i].h;
		char a[64], ns[64], pid[16], proto[16];

		addr_str(h->family, h->addr, a, sizeof(a));
		if (h->netns != last_ns) {
			netns_name(h->netns, s->self_netns, last_name, sizeof(last_name));
			last_ns = h->netns;
		}
		snprintf(ns, sizeof(ns), "%s", last_name);
		if (!ns[0])
			snprintf(ns, sizeof(ns), "%u", h->netns);
		snprintf(pid, sizeof(pid), h->pid ? "%u" : "-", h->pid);
		snprintf(proto, sizeof(proto), "%s%c", proto_name(h->proto),
			 h->family == 10 ? '6' : '4');
		sbuf_printf(sb, "%-5u %-5s %-22s %-9s %7s ", h->port, proto, a,
			    h->listening ? "listening" : "bound", pid);
		term_col(sb, h->comm[0] ? h->comm : "-", sizeof(h->comm), 15);
		sbuf_printf(sb, " %5u ", h->uid);
		container_col(sb, &h->container);
		sbuf_printf(sb, " %s\n", ns);
	}
}

static void print_json(const struct snapshot *s, int all, __u16 port, struct sbuf *sb,
		       const struct who_claims *claims)
{
	__u32 last_ns = 0;
	char ns[64] = "";
	struct jw w;

	jw_init(&w, sb);
	jw_start_object(&w);
	jw_name(&w, "port");
	if (all)
		jw_null(&w);
	else
		jw_uint(&w, port);
	jw_name(&w, "holders");
	jw_start_array(&w);
	for (size_t i = 0; i < s->n; i++) {
		jw_start_object(&w);
		output_json_holder_fields(&w, &s->socks[i].h);
		/* the netns name is a who-only addition, after the common fields */
		if (s->socks[i].h.netns != last_ns) {
			netns_name(s->socks[i].h.netns, s->self_netns, ns, sizeof(ns));
			last_ns = s->socks[i].h.netns;
		}
		jw_string_or_null_field(&w, "netns_name", ns, sizeof(ns));
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_name(&w, "claims");
	if (claims && claims->json) {
		claims->json(&w, port, claims->ctx);
	} else {
		jw_start_array(&w);
		jw_end_array(&w);
	}
	jw_end_object(&w);
	sbuf_putc(sb, '\n');
}

int cmd_who(int argc, char **argv, const struct who_claims *claims)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *netns = NULL;
	unsigned short port = 0;
	int c, json = 0, all = 0, fd = -1, err, rc;
	struct snapshot s;
	struct sbuf sb;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'n':
			netns = optarg;
			break;
		case 'h':
			printf("Usage: bindwatch who PORT|--all [--json] [--netns NAME|INODE|host]\n"
			       "  who holds PORT now (TCP listeners and bound UDP sockets), in every\n"
			       "  network namespace, and what the port is known for.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!all) {
		if (optind >= argc) {
			p_err("who: missing PORT (or --all)");
			return 2;
		}
		if (parse_port(argv[optind], 0, &port)) {
			p_err("who: invalid PORT '%s': a port from 1 to 65535", argv[optind]);
			return 2;
		}
		optind++;
	}
	if (optind < argc) {
		p_err("who: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (netns) {
		fd = netns_open_arg(netns);
		if (fd < 0) {
			p_err("who: failed to open network namespace '%s' (--netns): %s", netns,
			      strerror(-fd));
			return 2;
		}
	}
	err = snapshot__take(&s, fd, port, 1);
	if (fd >= 0)
		close(fd);
	if (err) {
		p_err("who: failed to list sockets: %s%s", strerror(-err),
		      err == -EPERM ? " (run as root to see every namespace)" : "");
		return 1;
	}
	if (s.diag_missing)
		p_warn("who: the kernel has no sock_diag for TCP or UDP (modprobe inet_diag "
		       "tcp_diag udp_diag): the answer may be incomplete");
	qsort(s.socks, s.n, sizeof(*s.socks), cmp_holder);
	{
		char root[1024] = "/sys/fs/cgroup";
		struct container_cache *cc;

		find_cgroup2_root(root, sizeof(root));
		cc = container_cache__new(root, getenv("BINDWATCH_DATA_ROOT"));
		/* sorted by port, but a process's sockets repeat: reuse its answer */
		for (size_t i = 0, last = (size_t)-1; cc && i < s.n; i++) {
			struct bw_holder *h = &s.socks[i].h;

			if (!h->pid)
				continue;
			if (last != (size_t)-1 && s.socks[last].h.pid == h->pid)
				h->container = s.socks[last].h.container;
			else
				container_cache__by_pid(cc, h->pid, &h->container);
			last = i;
		}
		container_cache__free(cc);
	}
	sbuf_init(&sb);
	if (json) {
		print_json(&s, all, port, &sb, claims);
	} else {
		print_text(&s, &sb);
		if (!all && claims && claims->text)
			claims->text(&sb, port, claims->ctx);
	}
	/* an answer cut short by a failed allocation is not printed as if whole */
	rc = sb.oom ? 1 : 0;
	if (rc)
		p_err("who: failed to write the answer: %s", strerror(ENOMEM));
	else
		fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
	sbuf_free(&sb);
	snapshot__free(&s);
	return rc;
}
