/* bindwatch: argv -> the subcommand that does the work (a table, as bpftool's
 * main.c has one), and the wiring of the watch: options -> sinks -> loop. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "cgroup2.h"
#include "claims.h"
#include "file.h"
#include "guard_watch.h"
#include "log.h"
#include "keyfile.h"
#include "logfile.h"
#include "log_cmd.h"
#include "monitor.h"
#include "parse.h"
#include "registry_cmd.h"
#include "metrics.h"
#include "sinks.h"
#include "snapshot.h"
#include "who.h"

/* Every default, once: the code and usage() both read these. */
#define DEF_RINGBUF		(1u << 20)
#define DEF_GRACE_MS		50
#define DEF_PRIORITY		5	/* nice -5: see monitor_opts.priority */
#define DEF_MAX_SOCKETS		(1u << 20)
#define DEF_LOG_DIR		BW_LOG_DIR_DEFAULT
#define DEF_FLUSH_MS		1000
#define DEF_FLUSH_RECORDS	1000
#define DEF_MAX_SIZE		(64ul << 20)
#define DEF_MAX_FILES		10

static volatile sig_atomic_t stop_flag, hup_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_flag = 1;
	else
		stop_flag = 1;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (log_level() < BW_LOG_LIBBPF && level == LIBBPF_DEBUG)
		return 0;
	if (log_level() < BW_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: bindwatch [watch] [OPTIONS]    watch every inet bind/listen/close\n"
"       bindwatch who PORT|--all [--json] [--netns NAME]   who holds a port now\n"
"       bindwatch registry lookup PORT[/PROTO] | list | check FILE... [--registry FILE]\n"
"       bindwatch daemon [--log-dir DIR] [OPTIONS]   the forensic log service\n"
"       bindwatch guard --policy FILE [--audit] [OPTIONS]   watch, and refuse binds\n"
"                  of guarded ports by anyone the policy does not allow (EPERM)\n"
"       bindwatch log verify [DIR] [--anchor SEQ:HASH]   bindwatch history PORT [--since T] [--until T]\n"
"\n"
"Options:\n"
"  --json                 NDJSON on stdout (ready line, events, summary)\n"
"  --duration SECONDS     stop after SECONDS (default: until SIGINT/SIGTERM)\n"
"  --pid PID              only this process\n"
"  --port PORT            only this port (repeatable)\n"
"  --failed               only failed binds and listens\n"
"  --container ID|NAME    only this container (id prefix or name)\n"
"  --netns NAME|INODE     only this network namespace (\"host\" for ours)\n"
"  --cgroup PATH          only this cgroup-v2 subtree (filtered in the kernel)\n"
"  --backend NAME         fentry or cgroup (default: the first that works)\n"
"  --exact-errno          cgroup backend: take each failed bind()'s errno from\n"
"                         the syscall tracepoint; costs every syscall on the\n"
"                         host a slow path (see README)\n"
"  --ringbuf BYTES        ring buffer size, power of two (default %u)\n"
"  --wakeup BYTES         wake the reader once BYTES are pending (default\n"
"                         ringbuf/16; 0 = every event)\n"
"  --grace MS             cgroup backend: a bind with no success after MS\n"
"                         counts as failed (default %u)\n"
"  --priority N           run the reader N nice levels above normal, so that\n"
"                         a bind storm cannot starve it (0-20, default %u;\n"
"                         0 leaves it)\n"
"  --registry FILE        more port claims (repeatable; also read:\n"
"                         %s/*.conf)\n"
"  daemon only: --log-dir DIR (default %s), --flush-ms N (%u),\n"
"  --flush-records N (%u), --max-size BYTES (%lu), --max-files N (%u),\n"
"  --key-file FILE (HMAC-chained records), --syslog (records to syslog instead),\n"
"  --json (the records on stdout too)\n"
"  --metrics ADDR:PORT    serve Prometheus /metrics and /healthz (e.g. :24630)\n"
"  guard and daemon: --policy FILE (ports kept for their owners; see README),\n"
"  --audit (report what the policy would refuse, refuse nothing)\n"
"  -v                     more diagnostics (-vv: libbpf's too)\n"
"  -h, --help             this text\n"
"  -V, --version          version\n"
"\n"
"Examples:\n"
"  sudo bindwatch                       everything, as text\n"
"  sudo bindwatch --failed --json       only failures, as NDJSON\n"
"  sudo bindwatch --port 10256 --port 10300 --duration 60\n",
		DEF_RINGBUF, DEF_GRACE_MS, DEF_PRIORITY, BW_REGISTRY_DIR, DEF_LOG_DIR, DEF_FLUSH_MS,
		DEF_FLUSH_RECORDS, DEF_MAX_SIZE, DEF_MAX_FILES);
}

enum {
	OPT_JSON = 256, OPT_DURATION, OPT_PID, OPT_PORT, OPT_FAILED, OPT_BACKEND,
	OPT_EXACT, OPT_RINGBUF, OPT_WAKEUP, OPT_GRACE, OPT_REGISTRY, OPT_CONTAINER,
	OPT_NETNS, OPT_CGROUP, OPT_LOGDIR, OPT_FLUSHMS, OPT_FLUSHREC, OPT_MAXSIZE,
	OPT_MAXFILES, OPT_KEYFILE, OPT_SYSLOG, OPT_METRICS, OPT_POLICY,
	OPT_AUDIT, OPT_PRIORITY,
};

static const struct option watch_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "exact-errno", no_argument, NULL, OPT_EXACT },
	{ "ringbuf", required_argument, NULL, OPT_RINGBUF },
	{ "wakeup", required_argument, NULL, OPT_WAKEUP },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "registry", required_argument, NULL, OPT_REGISTRY },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "log-dir", required_argument, NULL, OPT_LOGDIR },
	{ "flush-ms", required_argument, NULL, OPT_FLUSHMS },
	{ "flush-records", required_argument, NULL, OPT_FLUSHREC },
	{ "max-size", required_argument, NULL, OPT_MAXSIZE },
	{ "max-files", required_argument, NULL, OPT_MAXFILES },
	{ "key-file", required_argument, NULL, OPT_KEYFILE },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "audit", no_argument, NULL, OPT_AUDIT },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* A cgroup-v2 path (absolute, or relative to the v2 root) to its id and depth. */
static int cgroup_arg(const char *arg, __u64 *id, __u32 *level)
{
	char root[1024], path[4096];
	const char *rel;
	struct stat st;
	int err = find_cgroup2_root(root, sizeof(root));

	if (err)
		return err;
	if (!strncmp(arg, root, strlen(root)))
		rel = arg + strlen(root);
	else
		rel = arg;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path))
		return -ENAMETOOLONG;	/* never a cut path that filters something else */
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	*level = 0;
	for (const char *p = rel; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			(*level)++;
	if (rel[0] && rel[0] != '/')
		(*level)++;
	return 0;
}

static int bad_value(const char *flag, const char *val, const char *what)
{
	p_err("invalid value '%s' for %s: %s", val, flag, what);
	return 2;
}

/* Refuse to start where the kernel side cannot possibly load, with the reason. */
static int preflight(void)
{
	struct stat st;

	if (geteuid() != 0) {
		p_err("bindwatch needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, "
		      "CAP_SYS_RESOURCE) to load its BPF programs");
		return -EPERM;
	}
	if (stat("/sys/kernel/btf/vmlinux", &st)) {
		p_err("failed to find kernel BTF '/sys/kernel/btf/vmlinux': %s "
		      "(bindwatch needs a kernel built with CONFIG_DEBUG_INFO_BTF)",
		      strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static void key_error(const char *path, int err)
{
	p_err("failed to read key file '%s' (--key-file): %s", path, key_file_error(err));
}

/* What SIGHUP reloads that the caller owns: the registry, and the guard's
 * policy when there is one. */
struct watch_reload {
	struct monitor_opts *mo;
	struct registry **reg;
	const char *const *files;
	int nfiles;
	struct guard_watch *gw;	/* NULL: no policy */
};

static int reload_registry(void *ctx, const char **why)
{
	struct watch_reload *w = ctx;
	struct registry *fresh = NULL;
	static char err[512];

	err[0] = 0;
	/* a bad registry on reload keeps the old one: never half a registry */
	if (claims_load(&fresh, BW_REGISTRY_DIR, w->files, w->nfiles, err, sizeof(err))) {
		p_err("registry not reloaded: %s", err);
		*why = "registry";
		return -EINVAL;
	}
	w->mo->registry = fresh;
	registry__free(*w->reg);
	*w->reg = fresh;
	p_info("registry reloaded (%zu claims)", registry__count(fresh));
	return 0;
}

/* SIGHUP: each part reloads or keeps what it had; the first failure is why. */
static int reload_all(void *ctx, const char **why)
{
	struct watch_reload *w = ctx;
	const char *gwhy = NULL;
	int err = reload_registry(ctx, why), gerr;

	if (!w->gw)
		return err;
	gerr = guard_watch__reload(w->gw, &gwhy);
	if (gerr && !err)
		*why = gwhy;
	return err ? err : gerr;
}

/* Everything options decide, before anything is opened. */
struct watch_args {
	struct monitor_opts o;
	struct logw_opts lo;
	const char *key_file;
	const char **reg_files;	/* argc entries: no limit but argv's */
	int nreg;
	int json, use_syslog, daemon;
	int guard;		/* `bindwatch guard`: --policy required */
	const char *policy;	/* --policy FILE, or NULL */
	int audit;		/* --audit */
	const char *metrics;	/* --metrics ADDR:PORT, or NULL */
	__u8 ports[BW_PORT_BITMAP_BYTES];
};

/* Every numeric option: its range and how a bad value is explained, once. */
static const struct num_opt {
	int opt;
	const char *flag;
	unsigned long min, max;
	const char *what;
} num_opts[] = {
	{ OPT_DURATION, "--duration", 1, 31536000, "whole seconds from 1 to 31536000" },
	{ OPT_PID, "--pid", 1, 4194304, "a pid from 1 to 4194304" },
	{ OPT_RINGBUF, "--ringbuf", 4096, 1ul << 30, "a power of two from 4096 to 1073741824" },
	{ OPT_WAKEUP, "--wakeup", 0, 1ul << 30, "bytes, 0 or more" },
	{ OPT_GRACE, "--grace", 1, 10000, "milliseconds from 1 to 10000" },
	{ OPT_PRIORITY, "--priority", 0, 20, "nice levels from 0 to 20" },
	{ OPT_FLUSHMS, "--flush-ms", 1, 600000, "1 to 600000 ms" },
	{ OPT_FLUSHREC, "--flush-records", 1, 1000000, "1 to 1000000" },
	{ OPT_MAXSIZE, "--max-size", 4096, 1ul << 40, "bytes, at least 4096" },
	{ OPT_MAXFILES, "--max-files", 1, 100000, "1 to 100000" },
};

/* For a numeric option c: 1 and *v, or 0 after explaining a bad value;
 * -1 when c is not numeric. */
static int num_arg(int c, const char *arg, unsigned long *v)
{
	for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++) {
		const struct num_opt *n = &num_opts[i];

		if (n->opt != c)
			continue;
		if (parse_uint(arg, n->min, n->max, v) ||
		    (c == OPT_RINGBUF && (*v & (*v - 1)))) {
			bad_value(n->flag, arg, n->what);
			return 0;
		}
		return 1;
	}
	return -1;
}

/* The options only `bindwatch daemon` takes (numbers already parsed into v);
 * 0 or the exit code (2). */
static int daemon_opt(struct watch_args *a, int c, const char *arg, unsigned long v)
{
	if (!a->daemon) {
		p_err("--syslog, --log-dir, --flush-*, --max-*, --key-file are "
		      "'bindwatch daemon' options");
		return 2;
	}
	switch (c) {
	case OPT_SYSLOG:
		a->use_syslog = 1;
		break;
	case OPT_LOGDIR:
		a->lo.dir = arg;
		break;
	case OPT_KEYFILE:
		a->key_file = arg;
		break;
	case OPT_FLUSHMS:
		a->lo.flush_ms = (unsigned int)v;
		break;
	case OPT_FLUSHREC:
		a->lo.flush_records = (unsigned int)v;
		break;
	case OPT_MAXSIZE:
		a->lo.max_size = v;
		break;
	case OPT_MAXFILES:
		a->lo.max_files = (unsigned int)v;
		break;
	}
	return 0;
}

/* argv -> a; 0, or the exit code (usage errors 2, --help 0 through *done). */
static int watch_parse(int argc, char **argv, struct watch_args *a, int *done)
{
	const char *probe;
	unsigned long v = 0;
	unsigned short port;
	int c, nports = 0, wakeup_set = 0;

	*done = 0;
	a->o.load.ringbuf_bytes = DEF_RINGBUF;
	a->o.grace_ms = DEF_GRACE_MS;
	a->o.priority = DEF_PRIORITY;
	a->o.max_sockets = DEF_MAX_SOCKETS;
	a->lo = (struct logw_opts){ DEF_LOG_DIR, DEF_FLUSH_MS, DEF_FLUSH_RECORDS,
				    DEF_MAX_SIZE, DEF_MAX_FILES, NULL, 0 };
	/* where runtimes keep their files; tests point it at a fixture */
	a->o.data_root = getenv("BINDWATCH_DATA_ROOT") ? getenv("BINDWATCH_DATA_ROOT") : "";
	optind = 1;
	while ((c = getopt_long(argc, argv, "vhV", watch_opts, NULL)) != -1) {
		if (!num_arg(c, optarg, &v))
			return 2;
		switch (c) {
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_METRICS:
			a->metrics = optarg;
			break;
		case OPT_DURATION:
			a->o.duration = (double)v;
			break;
		case OPT_PID:
			a->o.load.pid = (__u32)v;
			break;
		case OPT_PORT:
			if (parse_port(optarg, 0, &port))
				return bad_value("--port", optarg, "a port from 1 to 65535");
			a->ports[port >> 3] |= (__u8)(1u << (port & 7));
			nports++;
			break;
		case OPT_FAILED:
			a->o.load.failed_only = 1;
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "fentry") && strcmp(optarg, "cgroup"))
				return bad_value("--backend", optarg, "one of fentry, cgroup");
			a->o.load.backend = optarg;
			break;
		case OPT_EXACT:
			a->o.load.exact_errno = 1;
			break;
		case OPT_RINGBUF:
			a->o.load.ringbuf_bytes = v;
			break;
		case OPT_WAKEUP:
			a->o.load.wakeup_bytes = v;
			wakeup_set = 1;
			break;
		case OPT_REGISTRY:
			a->reg_files[a->nreg++] = optarg;
			break;
		case OPT_CONTAINER:
			if (!optarg[0])
				return bad_value("--container", optarg, "an id prefix or a name");
			a->o.container = optarg;
			break;
		case OPT_NETNS: {
			int fd = netns_open_arg(optarg);

			if (fd < 0)
				return bad_value("--netns", optarg,
						 "a /run/netns name, \"host\" or a netns inode");
			a->o.netns = netns_inode_of_fd(fd);
			close(fd);
			break;
		}
		case OPT_CGROUP: {
			int err = cgroup_arg(optarg, &a->o.load.cgroup_id, &a->o.load.cgroup_level);

			if (err)
				return bad_value("--cgroup", optarg, strerror(-err));
			break;
		}
		case OPT_SYSLOG:
		case OPT_LOGDIR:
		case OPT_FLUSHMS:
		case OPT_FLUSHREC:
		case OPT_MAXSIZE:
		case OPT_MAXFILES:
		case OPT_KEYFILE: {
			int rc = daemon_opt(a, c, optarg, v);

			if (rc)
				return rc;
			break;
		}
		case OPT_GRACE:
			a->o.grace_ms = (unsigned int)v;
			break;
		case OPT_PRIORITY:
			a->o.priority = (unsigned int)v;
			break;
		case OPT_POLICY:
		case OPT_AUDIT:
			if (!a->guard && !a->daemon) {
				p_err("--policy and --audit are 'bindwatch guard' (or daemon) options");
				return 2;
			}
			if (c == OPT_POLICY)
				a->policy = optarg;
			else
				a->audit = 1;
			break;
		case 'v':
			log_set_level(log_level() + 1);
			break;
		case 'h':
			usage(stdout);
			*done = 1;
			return 0;
		case 'V':
			printf("bindwatch %s\n", BW_VERSION);
			*done = 1;
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		p_err("unexpected argument '%s' (see --help)", argv[optind]);
		return 2;
	}
	if (a->guard && !a->policy) {
		p_err("bindwatch guard needs --policy FILE");
		return 2;
	}
	if (a->audit && !a->policy) {
		p_err("--audit needs --policy FILE");
		return 2;
	}
	if (nports)
		a->o.load.ports = a->ports;
	if (!wakeup_set)
		a->o.load.wakeup_bytes = a->o.load.ringbuf_bytes / 16;
	/* the probe-read build of the cgroup programs where the cast build
	 * would load too: for the test stage that runs the suite on both */
	probe = getenv("BINDWATCH_PROBE_READS");
	a->o.load.probe_reads = probe && strcmp(probe, "0");
	if (a->o.load.wakeup_bytes >= a->o.load.ringbuf_bytes) {
		p_err("--wakeup %zu must be smaller than --ringbuf %zu",
		      a->o.load.wakeup_bytes, a->o.load.ringbuf_bytes);
		return 2;
	}
	/* A pending-bytes wakeup needs a short poll so nothing waits long. */
	a->o.poll_ms = a->o.load.wakeup_bytes ? 100 : 1000;
	return 0;
}

/* The outputs the options ask for, appended to o->sinks. */
static int add_sinks(struct watch_args *a, struct logw **logw)
{
	struct monitor_opts *o = &a->o;
	static unsigned char key[KEY_FILE_MAX];
	int err;

	if (a->metrics) {
		/* bound now, before the slow load: a taken port stops us at once */
		const char *why = "";
		struct metrics *mx = NULL;

		err = metrics__new(a->metrics, &mx, &why);
		if (err) {
			p_err("failed to %s '%s': %s", why, a->metrics, strerror(-err));
			return err;
		}
		p_info("metrics on http://%s/metrics", metrics__address(mx));
		o->sinks[o->nsinks++] = (struct bw_sink){ &metrics_sink_ops, mx };
	}
	if (!a->daemon)
		return a->json ? sink_json__new(stdout, 0, &o->sinks[o->nsinks++])
			       : sink_text__new(stdout, 0, &o->sinks[o->nsinks++]);
	/* daemon --json: the records on stdout too (a container's log) */
	if (a->json && (err = sink_json__new(stdout, 0, &o->sinks[o->nsinks++])))
		return err;
	if (a->use_syslog)
		return sink_syslog__new(0, &o->sinks[o->nsinks++]);
	if (a->key_file) {
		size_t klen = sizeof(key);

		err = key_file_read(a->key_file, key, &klen);
		if (err) {
			key_error(a->key_file, err);
			return err;
		}
		a->lo.key = key;
		a->lo.keylen = klen;
	}
	err = logw__open(&a->lo, logw);
	if (err) {
		p_err("failed to open log dir '%s' (--log-dir): %s", a->lo.dir, strerror(-err));
		return err;
	}
	o->log = *logw;
	return sink_log__new(*logw, 0, &o->sinks[o->nsinks++]);
}

/* daemon: `bindwatch daemon`; guard: `bindwatch guard` (the same options) */
static int cmd_watch_as(int argc, char **argv, int daemon, int guard)
{
	struct watch_args *a = calloc(1, sizeof(*a));
	struct watch_reload wr;
	struct guard_watch *gw = NULL;
	struct registry *reg = NULL;
	struct logw *logw = NULL;
	char reg_err[512] = "";
	const char *why = "";
	int rc = 1, done, err;

	if (!a || !(a->reg_files = calloc((size_t)argc + 1, sizeof(*a->reg_files)))) {
		p_err("failed to allocate the options: %s", strerror(ENOMEM));
		goto cleanup;
	}
	a->daemon = daemon;
	a->guard = guard;
	rc = watch_parse(argc, argv, a, &done);
	if (rc || done)
		goto cleanup;
	rc = 1;
	/* the whole registry or nothing: a bad file stops the agent here */
	if (claims_load(&reg, BW_REGISTRY_DIR, a->reg_files, a->nreg, reg_err,
			sizeof(reg_err))) {
		p_err("%s", reg_err[0] ? reg_err : "failed to load the registry");
		goto cleanup;
	}
	a->o.registry = reg;
	/* the whole policy or nothing, before anything is attached */
	if (a->policy && guard_watch__new(a->policy, a->audit, &gw, reg_err, sizeof(reg_err))) {
		p_err("%s", reg_err[0] ? reg_err : "failed to load the policy");
		goto cleanup;
	}
	libbpf_set_print(libbpf_print);
	if (preflight())
		goto cleanup;
	err = install_signals();
	if (err) {
		p_err("failed to install signal handlers: %s", strerror(-err));
		goto cleanup;
	}
	if (add_sinks(a, &logw))
		goto cleanup;
	wr = (struct watch_reload){ &a->o, &reg, a->reg_files, a->nreg, gw };
	if (daemon || gw) {
		a->o.hup = &hup_flag;
		a->o.reload = reload_all;
		a->o.reload_ctx = &wr;
	}
	if (gw) {
		a->o.reload_what = "sinks,registry,policy";
		a->o.on_load = guard_watch__on_load;
		a->o.on_load_ctx = gw;
	}
	if (daemon)
		a->o.drop_privs = 1;
	err = monitor_run(&a->o, &stop_flag, &why);
	if (err) {
		p_err("failed to %s: %s", why, strerror(-err));
		if (err == -EPERM && a->o.load.backend && !strcmp(a->o.load.backend, "fentry"))
			p_err("this kernel refuses BPF trampolines; try --backend cgroup");
		goto cleanup;
	}
	rc = 0;
cleanup:
	guard_watch__free(gw);	/* enforcement ends with the agent: fail open */
	if (a)
		sinks__destroy(a->o.sinks, a->o.nsinks);
	if (logw && logw__lost(logw))
		p_warn("%llu records could not be written to the log",
		       (unsigned long long)logw__lost(logw));
	logw__close(logw);
	registry__free(reg);	/* the one place: reloads swap it through &reg */
	if (a)
		free(a->reg_files);
	free(a);
	return rc;
}

static int cmd_watch(int argc, char **argv) { return cmd_watch_as(argc, argv, 0, 0); }
static int cmd_daemon(int argc, char **argv) { return cmd_watch_as(argc, argv, 1, 0); }
static int cmd_guard(int argc, char **argv) { return cmd_watch_as(argc, argv, 0, 1); }

static int cmd_who_main(int argc, char **argv)
{
	struct registry *reg = NULL;
	struct who_claims wc = { claims_json, claims_text, NULL };
	char err[512] = "";
	int rc;

	if (claims_load(&reg, BW_REGISTRY_DIR, NULL, 0, err, sizeof(err))) {
		p_err("%s", err);
		return 1;
	}
	wc.ctx = reg;
	rc = cmd_who(argc, argv, &wc);
	registry__free(reg);
	return rc;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

/* Subcommands: argv[1] names one; anything else is `watch`'s options. */
static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "watch", cmd_watch },
	{ "daemon", cmd_daemon },
	{ "guard", cmd_guard },
	{ "who", cmd_who_main },
	{ "registry", cmd_registry },
	{ "log", cmd_log },
	{ "history", cmd_history },
	{ "help", cmd_help },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		for (const struct cmd *c = cmds; c->name; c++)
			if (!strcmp(argv[1], c->name))
				return c->fn(argc - 1, argv + 1);
		p_err("unknown command '%s' (see --help)", argv[1]);
		return 2;
	}
	return cmd_watch(argc, argv);
}
