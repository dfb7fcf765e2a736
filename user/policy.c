#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "parse.h"
#include "file.h"
#include "policy.h"

#define LINE_MAX_LEN	POLICY_LINE_MAX
#define FILE_MAX_LEN	(1u << 20)

struct parser {
	struct policy *p;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->p->file, ps->line);

	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "80", "8000-8099" -> lo, hi */
static int parse_ports(struct parser *ps, char *s, __u16 *lo, __u16 *hi)
{
	char *dash = strchr(s, '-');

	if (dash)
		*dash = 0;
	if (parse_port(s, 0, lo))
		return fail(ps, "bad port '%s' (1 to 65535)", s);
	*hi = *lo;
	if (dash && parse_port(dash + 1, 0, hi))
		return fail(ps, "bad port '%s' (1 to 65535)", dash + 1);
	if (*hi < *lo)
		return fail(ps, "reversed range %u-%u", *lo, *hi);
	return 0;
}

/* A cgroup path relative to the v2 root: "/a/b", no "." or ".." parts, no
 * empty parts except a trailing "/" (dropped). */
static int add_cgroup(struct parser *ps, struct policy_rule *r, const char *path)
{
	char buf[POLICY_PATH_LEN];
	size_t len = strlen(path);

	if (path[0] != '/')
		return fail(ps, "cgroup path '%s' must start with '/' (relative to the "
			    "cgroup-v2 root)", path);
	if (len >= sizeof(buf))
		return fail(ps, "cgroup path longer than %zu bytes", sizeof(buf) - 1);
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = 0;
	if (strstr(buf, "//") || strstr(buf, "/./") || strstr(buf, "/../") ||
	    (len >= 2 && !strcmp(buf + len - 2, "/.")) ||
	    (len >= 3 && !strcmp(buf + len - 3, "/..")))
		return fail(ps, "cgroup path '%s' has an empty, '.' or '..' part", path);
	if (r->n_cgroup == BW_GUARD_MAX_CGROUPS)
		return fail(ps, "more than %d cgroups in one rule", BW_GUARD_MAX_CGROUPS);
	snprintf(r->cgroup[r->n_cgroup++], POLICY_PATH_LEN, "%s", buf);
	return 0;
}

static int add_uid(struct parser *ps, struct policy_rule *r, unsigned long uid)
{
	if (r->n_uid == BW_GUARD_MAX_UIDS)
		return fail(ps, "more than %d uids in one rule", BW_GUARD_MAX_UIDS);
	r->uid[r->n_uid++] = (__u32)uid;
	return 0;
}

/* Append "kind:value" to the rule's printable allow list. */
static void note_allow(struct policy_rule *r, const char *item)
{
	size_t len = strlen(r->allow);

	snprintf(r->allow + len, sizeof(r->allow) - len, "%s%s", len ? "," : "", item);
}

static int parse_allowed(struct parser *ps, struct policy_rule *r, char *item)
{
	char *colon = strchr(item, ':'), *val;
	unsigned long v;
	int err;

	if (!colon || !colon[1])
		return fail(ps, "'%s' is not KIND:VALUE (uid:N, user:NAME, cgroup:/PATH, "
			    "unit:NAME, comm:NAME)", item);
	*colon = 0;
	val = colon + 1;
	if (!strcmp(item, "uid")) {
		if (parse_uint(val, 0, 4294967294ul, &v))
			return fail(ps, "bad uid '%s'", val);
		err = add_uid(ps, r, v);
	} else if (!strcmp(item, "user")) {
		struct passwd *pw = getpwnam(val);

		if (!pw)
			return fail(ps, "unknown user '%s'", val);
		err = add_uid(ps, r, pw->pw_uid);
	} else if (!strcmp(item, "cgroup")) {
		err = add_cgroup(ps, r, val);
	} else if (!strcmp(item, "unit")) {
		char path[POLICY_PATH_LEN];

		if (strchr(val, '/') || val[0] == '.' || !strchr(val, '.'))
			return fail(ps, "bad unit name '%s' (want NAME.service, NAME.scope, ...)",
				    val);
		snprintf(path, sizeof(path), "/system.slice/%s", val);
		err = add_cgroup(ps, r, path);
	} else if (!strcmp(item, "comm")) {
		if (strlen(val) >= BW_GUARD_COMM_LEN)
			return fail(ps, "comm '%s' longer than %d bytes (the kernel keeps %d)",
				    val, BW_GUARD_COMM_LEN - 1, BW_GUARD_COMM_LEN - 1);
		if (r->n_comm == BW_GUARD_MAX_COMMS)
			return fail(ps, "more than %d comms in one rule", BW_GUARD_MAX_COMMS);
		strncpy(r->comm[r->n_comm++], val, BW_GUARD_COMM_LEN);
		err = 0;
	} else {
		return fail(ps, "unknown identity '%s' (uid, user, cgroup, unit, comm)", item);
	}
	if (err)
		return err;
	*colon = ':';
	note_allow(r, item);
	return 0;
}

/* Is any port of r already in an earlier rule? */
static int check_overlap(struct parser *ps, const struct policy_rule *r)
{
	for (size_t i = 0; i < ps->p->n; i++) {
		const struct policy_rule *o = &ps->p->rules[i];

		if (o->proto == r->proto && o->port_lo <= r->port_hi && r->port_lo <= o->port_hi)
			return fail(ps, "%u/%s is already guarded by line %u",
				    r->port_lo > o->port_lo ? r->port_lo : o->port_lo,
				    r->proto == IPPROTO_TCP ? "tcp" : "udp", o->line);
	}
	return 0;
}

static int parse_line(struct parser *ps, char *line)
{
	struct policy_rule *r;
	char *hash = strchr(line, '#'), *ports, *proto, *rest, *tok, *save = NULL;
	int err;

	if (hash)
		*hash = 0;
	ports = strtok_r(line, " \t\r", &save);
	if (!ports)
		return 0;	/* blank or comment */
	if (ps->p->n == BW_GUARD_MAX_RULES)
		return fail(ps, "more than %d rules", BW_GUARD_MAX_RULES);
	r = &ps->p->rules[ps->p->n];
	memset(r, 0, sizeof(*r));
	r->line = ps->line;
	proto = strchr(ports, '/');
	if (!proto)
		return fail(ps, "'%s' has no protocol (PORT[-PORT]/tcp or /udp)", ports);
	*proto++ = 0;
	if (!strcmp(proto, "tcp"))
		r->proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		r->proto = IPPROTO_UDP;
	else
		return fail(ps, "unknown protocol '%s' (tcp or udp)", proto);
	err = parse_ports(ps, ports, &r->port_lo, &r->port_hi);
	if (err)
		return err;
	rest = strtok_r(NULL, "", &save);
	if (!rest)
		rest = "";
	for (tok = strtok_r(rest, ", \t\r", &save); tok; tok = strtok_r(NULL, ", \t\r", &save)) {
		err = parse_allowed(ps, r, tok);
		if (err)
			return err;
	}
	if (!r->n_uid && !r->n_cgroup && !r->n_comm)
		return fail(ps, "no one is allowed: add uid:N, user:NAME, cgroup:/PATH, "
			    "unit:NAME or comm:NAME");
	err = check_overlap(ps, r);
	if (err)
		return err;
	ps->p->n++;
	return 0;
}

int policy__parse(const char *file, const char *text, size_t len, struct policy **out,
		  char *err, size_t errlen)
{
	struct parser ps = { .err = err, .errlen = errlen };
	char line[LINE_MAX_LEN + 2];
	size_t pos = 0;
	int ret = 0;

	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p)
		return -ENOMEM;
	snprintf(ps.p->file, sizeof(ps.p->file), "%s", file);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		ps.line++;
		if (memchr(text + pos, 0, n)) {
			ret = fail(&ps, "binary data (a NUL byte)");
			goto cleanup;
		}
		if (n > LINE_MAX_LEN) {
			ret = fail(&ps, "line longer than %d bytes", LINE_MAX_LEN);
			goto cleanup;
		}
		memcpy(line, text + pos, n);
		line[n] = 0;
		pos += n + 1;
		ret = parse_line(&ps, line);
		if (ret)
			goto cleanup;
	}
	*out = ps.p;
	return 0;
cleanup:
	free(ps.p);
	return ret;
}

int policy__load(const char *path, struct policy **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	int ret;

	/* the one bounded reader: a FIFO or device at the path never blocks
	 * the agent (a SIGHUP reload runs in the watch loop) */
	ret = file__read_whole(path, FILE_MAX_LEN, 0, &buf, &n);
	if (ret == -EFBIG)
		snprintf(err, errlen, "%s: larger than %u bytes", path, FILE_MAX_LEN);
	else if (ret == -EINVAL)
		snprintf(err, errlen, "%s: not a regular file", path);
	else if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	else
		ret = policy__parse(path, buf, n, out, err, errlen);
	free(buf);
	return ret;
}

int policy__resolve(struct policy *p, const char *cgroup_root,
		    void (*missing)(const struct policy *p, const struct policy_rule *r,
				    const char *path, void *ctx),
		    void *ctx)
{
	char full[POLICY_PATH_LEN + 1024];
	int changed = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct policy_rule *r = &p->rules[i];

		for (int k = 0; k < r->n_cgroup; k++) {
			struct stat st;
			__u64 id = 0;
			__u32 level = 0;

			snprintf(full, sizeof(full), "%s%s", cgroup_root, r->cgroup[k]);
			if (!stat(full, &st) && S_ISDIR(st.st_mode))
				id = st.st_ino;
			else if (missing)
				missing(p, r, r->cgroup[k], ctx);
			for (const char *c = r->cgroup[k]; *c; c++)
				if (*c == '/' && c[1])
					level++;
			if (id != r->cgroup_id[k])
				changed++;
			r->cgroup_id[k] = id;
			r->cgroup_level[k] = level;
		}
	}
	return changed;
}

const struct policy_rule *policy__find(const struct policy *p, __u8 proto, __u16 port)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (p->rules[i].proto == proto && p->rules[i].port_lo <= port &&
		    port <= p->rules[i].port_hi)
			return &p->rules[i];
	return NULL;
}

void policy__free(struct policy *p)
{
	free(p);
}
