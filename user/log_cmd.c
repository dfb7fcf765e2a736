/* bindwatch log verify and bindwatch history: the sealed log, read back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "keyfile.h"
#include "log.h"
#include "log_cmd.h"
#include "logread.h"
#include "parse.h"

/* Option codes past any character getopt could return. */
enum { OPT_KEYFILE = 256, OPT_JSON, OPT_SINCE, OPT_UNTIL, OPT_LOGDIR };

/* bindwatch log verify [DIR] [--key-file F] */
int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, OPT_KEYFILE },
		{ "anchor", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static unsigned char key[KEY_FILE_MAX];
	const char *dir = BW_LOG_DIR_DEFAULT, *kf = NULL;
	struct log_anchor anchor, *ap = NULL;
	size_t klen = sizeof(key);
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == OPT_KEYFILE) {
			kf = optarg;
		} else if (c == 'a') {
			if (log_anchor_parse(optarg, &anchor)) {
				p_err("invalid value '%s' for --anchor: SEQ:HASH, as the daemon's "
				      "\"log anchor\" syslog line", optarg);
				return 2;
			}
			ap = &anchor;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: bindwatch log verify [DIR] [--key-file FILE] [--anchor SEQ:HASH]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "verify")) {
		fprintf(stderr, "Usage: bindwatch log verify [DIR] [--key-file FILE] [--anchor SEQ:HASH]\n");
		return 2;
	}
	if (++optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		p_err("log verify: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (kf && (err = key_file_read(kf, key, &klen))) {
		p_err("failed to read key file '%s' (--key-file): %s", kf, key_file_error(err));
		return 1;
	}
	return log_verify_anchored(dir, kf ? key : NULL, kf ? klen : 0, ap, 0);
}

/* bindwatch history PORT [--since T] [--until T] [--json] [--log-dir DIR] */
int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "log-dir", required_argument, NULL, OPT_LOGDIR },
		{ 0 },
	};
	const char *dir = BW_LOG_DIR_DEFAULT, *since = NULL, *until = NULL;
	unsigned short port = 0;
	int json = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_JSON)
			json = 1;
		else if (c == OPT_SINCE)
			since = optarg;
		else if (c == OPT_UNTIL)
			until = optarg;
		else if (c == OPT_LOGDIR)
			dir = optarg;
		else
			goto usage;
	}
	if (optind >= argc) {
		p_err("history: missing PORT");
		return 2;
	}
	if (parse_port(argv[optind], 0, &port)) {
		p_err("history: invalid PORT '%s': a port from 1 to 65535", argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		p_err("history: unexpected argument '%s'", argv[optind + 1]);
		goto usage;
	}
	return log_history(dir, port, since, until, json);
usage:
	fprintf(stderr, "Usage: bindwatch history PORT [--since T] [--until T] [--json] "
			"[--log-dir DIR]\n");
	return 2;
}
