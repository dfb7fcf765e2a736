/* bindwatch: argv -> the subcommand that does the work. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "monitor.h"
#include "parse.h"
#include "who.h"
#include "logfile.h"
#include "logread.h"
#include "snapshot.h"
#include "claims.h"
#include "registry_cmd.h"
#include "policy.h"

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
"       bindwatch registry lookup PORT[/PROTO] | list | check FILE...\n"
"       bindwatch daemon [--log-dir DIR] [OPTIONS]   the forensic log service\n"
"       bindwatch guard --policy FILE [--audit] [OPTIONS]   watch, and refuse binds\n"
"                  of guarded ports by anyone the policy does not allow (EPERM)\n"
"       bindwatch log verify [DIR]   bindwatch history PORT [--since T] [--until T]\n"
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
"  --ringbuf BYTES        ring buffer size, power of two (default 1048576)\n"
"  --wakeup BYTES         wake the reader once BYTES are pending (default\n"
"                         ringbuf/16; 0 = every event)\n"
"  --grace MS             cgroup backend: a bind with no success after MS\n"
"                         counts as failed (default 50)\n"
"  --registry FILE        more port claims (repeatable; also read:\n"
"                         /etc/bindwatch/registry.d/*.conf)\n"
"  daemon only: --log-dir DIR (default /var/log/bindwatch), --flush-ms N (1000),\n"
"  --flush-records N (1000), --max-size BYTES (67108864), --max-files N (10),\n"
"  --key-file FILE (HMAC-chained records), --syslog (records to syslog instead)\n"
"  guard and daemon: --policy FILE (ports kept for their owners; see README),\n"
"  --audit (report what the policy would refuse, refuse nothing)\n"
"  -v                     more diagnostics (-vv: libbpf's too)\n"
"  -h, --help             this text\n"
"  -V, --version          version\n"
"\n"
"Examples:\n"
"  sudo bindwatch                       everything, as text\n"
"  sudo bindwatch --failed --json       only failures, as NDJSON\n"
"  sudo bindwatch --port 10256 --port 10300 --duration 60\n");
}

enum {
	OPT_JSON = 256, OPT_DURATION, OPT_PID, OPT_PORT, OPT_FAILED, OPT_BACKEND,
	OPT_EXACT, OPT_RINGBUF, OPT_WAKEUP, OPT_GRACE, OPT_REGISTRY, OPT_CONTAINER,
	OPT_NETNS, OPT_CGROUP, OPT_LOGDIR, OPT_FLUSHMS, OPT_FLUSHREC, OPT_MAXSIZE,
	OPT_MAXFILES, OPT_KEYFILE, OPT_SYSLOG, OPT_POLICY, OPT_AUDIT,
};

static const struct option long_opts[] = {
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
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* A cgroup-v2 path (absolute, or relative to the v2 root) to its id and depth. */
static int cgroup_arg(const char *arg, __u64 *id, __u32 *level)
{
	char root[1024], path[2048];
	const char *rel;
	struct stat st;
	int err = find_cgroup2_root(root, sizeof(root));

	if (err)
		return err;
	if (!strncmp(arg, root, strlen(root)))
		rel = arg + strlen(root);
	else
		rel = arg;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
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

/* The daemon's sink: the log writer, and what SIGHUP reloads. */
struct daemon_ctx {
	struct logw *log;
	struct monitor_opts *mo;
	struct registry **reg;
	const char *const *reg_files;
	int nreg;
};

static int d_line(void *ctx, const char *line, size_t len)
{
	return logw__append(((struct daemon_ctx *)ctx)->log, line, len);
}

static int d_tick(void *ctx, int final)
{
	return logw__tick(((struct daemon_ctx *)ctx)->log, final);
}

/* --syslog: records go to syslog(3) (and so to the journal) instead. */
static int s_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	/* failures and flagged events stand out by priority */
	syslog(strstr(line, "\"severity\":\"error\"") || strstr(line, "\"errno\":\"") ?
		       LOG_WARNING : LOG_INFO, "%.*s", (int)len, line);
	return 0;
}

static int s_tick(void *ctx, int final)
{
	(void)ctx;
	(void)final;
	return 0;
}

static int d_hup(void *ctx)
{
	struct daemon_ctx *d = ctx;
	struct registry *fresh = NULL;
	char err[512] = "";
	int ret = d->log ? logw__reopen(d->log) : 0;

	if (ret)
		p_err("failed to reopen the log: %s", strerror(-ret));
	/* a bad registry on reload keeps the old one: never half a registry */
	if (claims_load(&fresh, BW_REGISTRY_DIR, d->reg_files, d->nreg, err, sizeof(err))) {
		p_err("registry not reloaded: %s", err);
		return ret ? ret : -EINVAL;
	}
	d->mo->registry = fresh;
	registry__free(*d->reg);
	*d->reg = fresh;
	p_info("log reopened, registry reloaded (%zu claims)", registry__count(fresh));
	return ret;
}

static int read_key(const char *path, unsigned char *key, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(key, 1, *len, f);
	fclose(f);
	if (!n)
		return -ENODATA;
	*len = n;
	return 0;
}

/* daemon: 1 for `bindwatch daemon`; guard: 1 for `bindwatch guard` (needs --policy) */
static int cmd_watch(int argc, char **argv, int daemon, int guard)
{
	const char *policy_path = NULL;
	int audit = 0;
	struct logw_opts lo = { "/var/log/bindwatch", 1000, 1000, 64u << 20, 10, NULL, 0 };
	static unsigned char key[1024];
	struct daemon_ctx dctx;
	struct bw_line_sink sink;
	struct logw *logw = NULL;
	const char *key_file = NULL;
	int use_syslog = 0;
	static __u8 ports[8192];
	const char *reg_files[32];
	struct registry *reg = NULL;
	int nreg = 0;
	char reg_err[512] = "";
	struct monitor_opts o;
	const char *why = "";
	unsigned long v;
	unsigned short port;
	int c, err, nports = 0, wakeup_set = 0;

	memset(&o, 0, sizeof(o));
	o.load.ringbuf_bytes = 1u << 20;
	o.grace_ms = 50;
	o.max_sockets = 1u << 20;
	/* where runtimes keep their files; tests point it at a fixture */
	o.data_root = getenv("BINDWATCH_DATA_ROOT") ? getenv("BINDWATCH_DATA_ROOT") : "";
	o.poll_ms = 100;
	while ((c = getopt_long(argc, argv, "vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_DURATION:
			if (parse_uint(optarg, 1, 31536000, &v))
				return bad_value("--duration", optarg,
						 "whole seconds from 1 to 31536000");
			o.duration = (double)v;
			break;
		case OPT_PID:
			if (parse_uint(optarg, 1, 4194304, &v))
				return bad_value("--pid", optarg, "a pid from 1 to 4194304");
			o.load.pid = (__u32)v;
			break;
		case OPT_PORT:
			if (parse_port(optarg, 0, &port))
				return bad_value("--port", optarg, "a port from 1 to 65535");
			ports[port >> 3] |= (__u8)(1u << (port & 7));
			nports++;
			break;
		case OPT_FAILED:
			o.load.failed_only = 1;
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "fentry") && strcmp(optarg, "cgroup"))
				return bad_value("--backend", optarg,
						 "one of fentry, cgroup");
			o.load.backend = optarg;
			break;
		case OPT_EXACT:
			o.load.exact_errno = 1;
			break;
		case OPT_RINGBUF:
			if (parse_uint(optarg, 4096, 1ul << 30, &v) || (v & (v - 1)))
				return bad_value("--ringbuf", optarg,
						 "a power of two from 4096 to 1073741824");
			o.load.ringbuf_bytes = v;
			break;
		case OPT_WAKEUP:
			if (parse_uint(optarg, 0, 1ul << 30, &v))
				return bad_value("--wakeup", optarg, "bytes, 0 or more");
			o.load.wakeup_bytes = v;
			wakeup_set = 1;
			break;
		case OPT_REGISTRY:
			if (nreg == 32) {
				p_err("--registry: at most 32 files");
				return 2;
			}
			reg_files[nreg++] = optarg;
			break;
		case OPT_CONTAINER:
			if (!optarg[0])
				return bad_value("--container", optarg, "an id prefix or a name");
			o.container = optarg;
			break;
		case OPT_NETNS: {
			int fd = netns_open_arg(optarg);

			if (fd < 0)
				return bad_value("--netns", optarg,
						 "a /run/netns name, \"host\" or a netns inode");
			o.netns = netns_inode_of_fd(fd);
			close(fd);
			break;
		}
		case OPT_CGROUP: {
			int err2 = cgroup_arg(optarg, &o.load.cgroup_id, &o.load.cgroup_level);

			if (err2)
				return bad_value("--cgroup", optarg, strerror(-err2));
			break;
		}
		case OPT_POLICY:
		case OPT_AUDIT:
			if (!guard && !daemon) {
				p_err("--policy and --audit are 'bindwatch guard' (or daemon) options");
				return 2;
			}
			if (c == OPT_POLICY)
				policy_path = optarg;
			else
				audit = 1;
			break;
		case OPT_SYSLOG:
			if (!daemon) {
				p_err("--syslog is a 'bindwatch daemon' option");
				return 2;
			}
			use_syslog = 1;
			break;
		case OPT_LOGDIR:
		case OPT_FLUSHMS:
		case OPT_FLUSHREC:
		case OPT_MAXSIZE:
		case OPT_MAXFILES:
		case OPT_KEYFILE:
			if (!daemon) {
				p_err("--log-dir, --flush-*, --max-*, --key-file are 'bindwatch daemon' options");
				return 2;
			}
			if (c == OPT_LOGDIR) {
				lo.dir = optarg;
			} else if (c == OPT_KEYFILE) {
				key_file = optarg;
			} else if (c == OPT_FLUSHMS) {
				if (parse_uint(optarg, 1, 600000, &v))
					return bad_value("--flush-ms", optarg, "1 to 600000 ms");
				lo.flush_ms = (unsigned int)v;
			} else if (c == OPT_FLUSHREC) {
				if (parse_uint(optarg, 1, 1000000, &v))
					return bad_value("--flush-records", optarg, "1 to 1000000");
				lo.flush_records = (unsigned int)v;
			} else if (c == OPT_MAXSIZE) {
				if (parse_uint(optarg, 4096, 1ul << 40, &v))
					return bad_value("--max-size", optarg, "bytes, at least 4096");
				lo.max_size = v;
			} else {
				if (parse_uint(optarg, 1, 100000, &v))
					return bad_value("--max-files", optarg, "1 to 100000");
				lo.max_files = (unsigned int)v;
			}
			break;
		case OPT_GRACE:
			if (parse_uint(optarg, 1, 10000, &v))
				return bad_value("--grace", optarg,
						 "milliseconds from 1 to 10000");
			o.grace_ms = (unsigned int)v;
			break;
		case 'v':
			log_set_level(log_level() + 1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("bindwatch %s\n", BW_VERSION);
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
	if (guard && !policy_path) {
		p_err("bindwatch guard needs --policy FILE");
		return 2;
	}
	if (audit && !policy_path) {
		p_err("--audit needs --policy FILE");
		return 2;
	}
	if (nports)
		o.load.ports = ports;
	if (!wakeup_set)
		o.load.wakeup_bytes = o.load.ringbuf_bytes / 16;
	if (o.load.wakeup_bytes >= o.load.ringbuf_bytes) {
		p_err("--wakeup %zu must be smaller than --ringbuf %zu",
		      o.load.wakeup_bytes, o.load.ringbuf_bytes);
		return 2;
	}
	/* A pending-bytes wakeup needs a short poll so nothing waits long. */
	o.poll_ms = o.load.wakeup_bytes ? 100 : 1000;

	/* the whole registry or nothing: a bad file stops the agent here */
	if (claims_load(&reg, BW_REGISTRY_DIR, reg_files, nreg, reg_err, sizeof(reg_err))) {
		p_err("%s", reg_err[0] ? reg_err : "failed to load the registry");
		return 1;
	}
	o.registry = reg;
	/* the whole policy or nothing, before anything is attached */
	if (policy_path) {
		char perr[512] = "";

		if (policy__load(policy_path, &o.policy, perr, sizeof(perr))) {
			p_err("%s", perr[0] ? perr : "failed to load the policy");
			registry__free(reg);
			return 1;
		}
		o.policy_path = policy_path;
		o.guard_audit = audit;
		o.hup = &hup_flag;
	}
	libbpf_set_print(libbpf_print);
	if (preflight()) {
		registry__free(reg);
		policy__free(o.policy);
		return 1;
	}
	err = install_signals();
	if (err) {
		p_err("failed to install signal handlers: %s", strerror(-err));
		policy__free(o.policy);
		return 1;
	}
	if (daemon) {
		if (key_file) {
			size_t klen = sizeof(key);

			err = read_key(key_file, key, &klen);
			if (err) {
				p_err("failed to read key file '%s' (--key-file): %s", key_file,
				      strerror(-err));
				registry__free(reg);
				policy__free(o.policy);
				return 1;
			}
			lo.key = key;
			lo.keylen = klen;
		}
		if (use_syslog) {
			openlog("bindwatch", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		} else {
			err = logw__open(&lo, &logw);
			if (err) {
				p_err("failed to open log dir '%s' (--log-dir): %s", lo.dir,
				      strerror(-err));
				registry__free(reg);
				policy__free(o.policy);
				return 1;
			}
		}
		dctx = (struct daemon_ctx){ logw, &o, &reg, reg_files, nreg };
		sink = use_syslog ? (struct bw_line_sink){ s_line, s_tick, d_hup, &dctx }
				  : (struct bw_line_sink){ d_line, d_tick, d_hup, &dctx };
		o.sink = &sink;
		o.hup = &hup_flag;
		o.json = 1;
		o.drop_privs = 1;
	}
	err = monitor_run(&o, &stop_flag, &why);
	if (logw && logw__lost(logw))
		p_warn("%llu records could not be written to the log",
		       (unsigned long long)logw__lost(logw));
	logw__close(logw);
	registry__free(reg);
	if (err) {
		p_err("failed to %s: %s", why, strerror(-err));
		if (err == -EPERM && o.load.backend && !strcmp(o.load.backend, "fentry"))
			p_err("this kernel refuses BPF trampolines; try --backend cgroup");
		return 1;
	}
	return 0;
}

/* bindwatch log verify [DIR] [--key-file F] */
static int cmd_log(int argc, char **argv)
{
	static unsigned char key[1024];
	const char *dir = "/var/log/bindwatch", *kf = NULL;
	size_t klen = sizeof(key);
	int i, err;

	if (argc < 2 || strcmp(argv[1], "verify")) {
		fprintf(stderr, "Usage: bindwatch log verify [DIR] [--key-file FILE]\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--key-file") && i + 1 < argc)
			kf = argv[++i];
		else if (argv[i][0] != '-')
			dir = argv[i];
		else {
			p_err("log verify: unknown option '%s'", argv[i]);
			return 2;
		}
	}
	if (kf && (err = read_key(kf, key, &klen))) {
		p_err("failed to read key file '%s' (--key-file): %s", kf, strerror(-err));
		return 1;
	}
	return log_verify(dir, kf ? key : NULL, kf ? klen : 0, 0);
}

/* bindwatch history PORT [--since T] [--until T] [--json] [--log-dir DIR] */
static int cmd_history(int argc, char **argv)
{
	const char *dir = "/var/log/bindwatch", *since = NULL, *until = NULL;
	unsigned short port = 0;
	int json = 0, have_port = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--since") && i + 1 < argc)
			since = argv[++i];
		else if (!strcmp(argv[i], "--until") && i + 1 < argc)
			until = argv[++i];
		else if (!strcmp(argv[i], "--log-dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!have_port && !parse_port(argv[i], 0, &port))
			have_port = 1;
		else {
			p_err("history: unexpected argument '%s' (usage: bindwatch history PORT "
			      "[--since T] [--until T] [--json] [--log-dir DIR])", argv[i]);
			return 2;
		}
	}
	if (!have_port) {
		p_err("history: missing PORT");
		return 2;
	}
	return log_history(dir, port, since, until, json);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "who")) {
		struct registry *reg = NULL;
		struct who_claims wc = { claims_json, claims_text, NULL };
		char err[512] = "";
		int rc;

		if (claims_load(&reg, BW_REGISTRY_DIR, NULL, 0, err, sizeof(err))) {
			p_err("%s", err);
			return 1;
		}
		wc.ctx = reg;
		rc = cmd_who(argc - 1, argv + 1, &wc);
		registry__free(reg);
		return rc;
	}
	if (argc > 1 && !strcmp(argv[1], "registry"))
		return cmd_registry(argc - 1, argv + 1, NULL, 0);
	if (argc > 1 && !strcmp(argv[1], "watch"))
		return cmd_watch(argc - 1, argv + 1, 0, 0);
	if (argc > 1 && !strcmp(argv[1], "daemon"))
		return cmd_watch(argc - 1, argv + 1, 1, 0);
	if (argc > 1 && !strcmp(argv[1], "guard"))
		return cmd_watch(argc - 1, argv + 1, 0, 1);
	if (argc > 1 && !strcmp(argv[1], "log"))
		return cmd_log(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "history"))
		return cmd_history(argc - 1, argv + 1);
	return cmd_watch(argc, argv, 0, 0);
}
