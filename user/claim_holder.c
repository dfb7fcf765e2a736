/* Is this process a claim's expected holder?  Globs on comm or exe, and
 * INTERPRETER@PROGRAM, which needs the program an interpreter runs read from
 * its command line (untrusted: fuzzed).  Apart from the registry because it
 * runs per event, on process data, not on registry files. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include "registry.h"

/* Options of interpreters that take the next word as their argument. */
static int takes_arg(const char *opt)
{
	static const char *const with_arg[] = { "-W", "-X", "-Q", "-c", "-e", "-r", "--require",
						"-I", NULL };

	for (size_t i = 0; with_arg[i]; i++)
		if (!strcmp(opt, with_arg[i]))
			return 1;
	return 0;
}

int claim_program_of(const char *cmdline, size_t len, char *out, size_t out_len)
{
	const char *end, *p, *prog = NULL;

	out[0] = 0;
	if (!cmdline || !len)
		return -ENOENT;
	/* only whole arguments: a last one with no NUL (a cut read) is left
	 * out, so every string below ends inside the buffer */
	while (len && cmdline[len - 1])
		len--;
	if (!len)
		return -ENOENT;
	end = cmdline + len;
	/* argv[0] is the interpreter; then options, then the program */
	for (p = cmdline + strnlen(cmdline, len) + 1; p < end; p += strnlen(p, (size_t)(end - p)) + 1) {
		if (!strcmp(p, "-m")) {		/* python -m MODULE */
			p += strnlen(p, (size_t)(end - p)) + 1;
			prog = p < end ? p : NULL;
			break;
		}
		if (!strncmp(p, "-m", 2) && p[2]) {	/* python -mMODULE */
			prog = p + 2;
			break;
		}
		if (p[0] == '-') {
			if (!strcmp(p, "-c"))	/* code on the command line: no program */
				return -ENOENT;
			if (takes_arg(p))
				p += strnlen(p, (size_t)(end - p)) + 1;
			continue;
		}
		prog = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;	/* the script */
		break;
	}
	if (!prog || prog >= end || !*prog || strnlen(prog, (size_t)(end - prog)) >= out_len)
		return -ENOENT;
	memcpy(out, prog, strnlen(prog, (size_t)(end - prog)));
	out[strnlen(prog, (size_t)(end - prog))] = 0;
	return 0;
}

int claim_holder_matches(const struct claim *c, const char *comm, const char *exe)
{
	return claim_holder_matches_cmdline(c, comm, exe, NULL, 0);
}

int claim_holder_matches_cmdline(const struct claim *c, const char *comm, const char *exe,
				 const char *cmdline, size_t cmdline_len)
{
	const char *base = exe ? strrchr(exe, '/') : NULL, *g, *next;
	char prog[256];
	int have_prog = -1;

	base = base ? base + 1 : exe;
	for (g = c->holders; g && *g; g = next) {
		char glob[REGISTRY_LINE_MAX + 1], *at;
		size_t gl;

		next = strchr(g, ',');
		gl = next ? (size_t)(next - g) : strlen(g);
		if (next)
			next++;
		if (!gl || gl >= sizeof(glob))
			continue;
		memcpy(glob, g, gl);
		glob[gl] = 0;
		/* INTERPRETER@PROGRAM: the interpreter on comm/exe, its program too */
		at = strchr(glob, '@');
		if (at) {
			*at++ = 0;
			if (have_prog < 0)
				have_prog = !claim_program_of(cmdline, cmdline_len, prog, sizeof(prog));
			if (!have_prog || fnmatch(at, prog, 0))
				continue;
		}
		if (comm && !fnmatch(glob, comm, 0))
			return 1;
		if (exe && *exe && (!fnmatch(glob, exe, 0) || (base && !fnmatch(glob, base, 0))))
			return 1;
	}
	return 0;
}

int claim_wants_cmdline(const struct claim *c)
{
	return strchr(c->holders, '@') != NULL;
}
