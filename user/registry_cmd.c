/* bindwatch registry lookup|list|check: the claim registry from the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "claims.h"
#include "json_writer.h"
#include "log.h"
#include "parse.h"
#include "registry.h"
#include "registry_cmd.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: bindwatch registry lookup PORT[/PROTO] [--json] [--registry FILE]...\n"
		   "       bindwatch registry list [--json] [--registry FILE]...\n"
		   "       bindwatch registry check FILE...\n"
		   "Claims come from the embedded registry, %s/*.conf and --registry FILE.\n",
		BW_REGISTRY_DIR);
}

static void print_claim(struct sbuf *sb, const struct claim *c, int json)
{
	char protos[32], ports[16];

	if (json) {
		struct jw w;

		jw_init(&w, sb);
		claim_json(&w, c);
		sbuf_putc(sb, '\n');
		return;
	}
	claim_protos_str(c->protos, protos, sizeof(protos));
	if (c->lo == c->hi)
		snprintf(ports, sizeof(ports), "%u", c->lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", c->lo, c->hi);
	sbuf_printf(sb, "%-11s %-14s %-7s %-7s %-26s %s\n", ports, protos,
		    claim_kind_name(c->kind), severity_name(c->severity), c->name, c->desc);
}

int cmd_registry(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "registry", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct registry *reg = NULL;
	const char **files = NULL;
	char err[512] = "";
	struct sbuf sb;
	int json = 0, ret = 0, i, nargs, nfiles = 0, opt;
	char **args;

	sbuf_init(&sb);
	/* every argument counts: as many site files as argv holds */
	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!files) {
		p_err("registry: %s", strerror(ENOMEM));
		return 1;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'j') {
			json = 1;
		} else if (opt == 'r') {
			files[nfiles++] = optarg;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			ret = opt == 'h' ? 0 : 2;
			goto cleanup;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		ret = 2;
		goto cleanup;
	}
	argv += optind;		/* argv[0] is the verb, then its arguments */
	args = argv + 1;
	nargs = argc - optind - 1;
	if (!strcmp(argv[0], "check")) {
		if (!nargs) {
			p_err("registry check: no FILE given");
			ret = 2;
			goto cleanup;
		}
		for (i = 0; i < nargs; i++) {
			struct registry *r = registry__new();

			err[0] = 0;
			if (!r) {
				ret = 1;
				goto cleanup;
			}
			if (registry__add_file(r, args[i], CLAIM_SITE, err, sizeof(err))) {
				fprintf(stderr, "%s\n", err);
				ret = 1;
			} else {
				printf("%s: %zu claims, ok\n", args[i], registry__count(r));
			}
			registry__free(r);
		}
		goto cleanup;
	}
	if (claims_load(&reg, BW_REGISTRY_DIR, files, nfiles, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		ret = 1;
		goto cleanup;
	}
	if (!strcmp(argv[0], "list")) {
		for (size_t k = 0; k < registry__count(reg); k++)
			print_claim(&sb, registry__at(reg, k), json);
	} else if (!strcmp(argv[0], "lookup") && nargs == 1) {
		const struct claim *c[16];
		char *slash = strchr(args[0], '/');
		unsigned short port;
		__u8 proto = 0;
		size_t n;

		if (slash) {
			*slash = 0;
			int b = claim_proto_bit(slash + 1);

			proto = b < 0 ? 0 : (__u8)b;
		}
		if (parse_port(args[0], 0, &port) || (slash && !proto)) {
			p_err("registry lookup: invalid PORT[/PROTO] '%s%s%s'", args[0],
			      slash ? "/" : "", slash ? slash + 1 : "");
			ret = 2;
			goto cleanup;
		}
		n = registry__lookup(reg, port, proto, c, 16);
		if (json) {
			struct jw w;

			jw_init(&w, &sb);
			jw_start_object(&w);
			jw_uint_field(&w, "port", port);
			jw_name(&w, "claims");
			jw_start_array(&w);
			for (size_t k = 0; k < n; k++)
				claim_json(&w, c[k]);
			jw_end_array(&w);
			jw_end_object(&w);
			sbuf_putc(&sb, '\n');
		} else if (!n) {
			sbuf_printf(&sb, "%u: no known claims\n", port);
		} else {
			for (size_t k = 0; k < n; k++)
				print_claim(&sb, c[k], 0);
		}
	} else {
		usage(stderr);
		ret = 2;
	}
	if (sb.oom) {
		p_err("registry: %s", strerror(ENOMEM));
		ret = 1;
	} else {
		fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
	}
cleanup:
	sbuf_free(&sb);
	registry__free(reg);
	free(files);
	return ret;
}
