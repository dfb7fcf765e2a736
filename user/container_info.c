/* A container's identity as a value: parsed from a cgroup-v2 path (pure, no
 * I/O, fuzzed) and written as JSON.  Naming it from the runtimes' files is
 * runtime_files.c; the cache that remembers it is container.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "json_writer.h"
#include "container.h"

int container_id__valid(const char *s, size_t n)
{
	if (n < 12 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "prefix<id>.scope" -> id */
static int scope_id(const char *comp, const char *prefix, char *id, size_t idlen)
{
	size_t pl = strlen(prefix), cl = strlen(comp);

	if (strncmp(comp, prefix, pl) || cl < pl + 6 || strcmp(comp + cl - 6, ".scope"))
		return 0;
	if (!container_id__valid(comp + pl, cl - pl - 6))
		return 0;
	snprintf(id, idlen, "%.*s", (int)(cl - pl - 6), comp + pl);
	return 1;
}

static void set_pod_uid(struct container_info *info, const char *uid, size_t n)
{
	size_t i;

	if (n >= sizeof(info->pod_uid))
		n = sizeof(info->pod_uid) - 1;
	for (i = 0; i < n; i++)	/* the systemd driver writes dashes as underscores */
		info->pod_uid[i] = uid[i] == '_' ? '-' : uid[i];
	info->pod_uid[i] = 0;
}

/* kubepods[-QOS]-pod<uid>.slice (systemd) or pod<uid> (cgroupfs) */
static void parse_pod(const char *comp, const char *prev, struct container_info *info)
{
	const char *p;
	size_t cl = strlen(comp);

	if (!strncmp(comp, "kubepods-", 9) && (p = strstr(comp + 8, "-pod")) &&
	    cl > 6 && !strcmp(comp + cl - 6, ".slice") && p + 4 < comp + cl - 6) {
		set_pod_uid(info, p + 4, (size_t)(comp + cl - 6 - (p + 4)));
		if (!strncmp(comp, "kubepods-burstable-", 19))
			snprintf(info->qos, sizeof(info->qos), "burstable");
		else if (!strncmp(comp, "kubepods-besteffort-", 20))
			snprintf(info->qos, sizeof(info->qos), "besteffort");
		else
			snprintf(info->qos, sizeof(info->qos), "guaranteed");
		return;
	}
	if (!strncmp(comp, "pod", 3) && cl > 30 && prev &&
	    (!strcmp(prev, "kubepods") || !strcmp(prev, "burstable") || !strcmp(prev, "besteffort"))) {
		set_pod_uid(info, comp + 3, cl - 3);
		snprintf(info->qos, sizeof(info->qos), "%.15s",
			 !strcmp(prev, "kubepods") ? "guaranteed" : prev);
	}
}

int container_parse_path(const char *path, struct container_info *info)
{
	char buf[512], *comp, *save = NULL, prev[128] = "", id[80];
	int in_kubepods = 0;

	memset(info, 0, sizeof(*info));
	snprintf(info->cgroup, sizeof(info->cgroup), "%s", path);
	snprintf(buf, sizeof(buf), "%s", path);
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t cl = strlen(comp);

		if (!strncmp(comp, "kubepods", 8))
			in_kubepods = 1;
		parse_pod(comp, prev[0] ? prev : NULL, info);
		if (scope_id(comp, "docker-", id, sizeof(id))) {
			snprintf(info->runtime, sizeof(info->runtime), "docker");
			snprintf(info->id, sizeof(info->id), "%s", id);
		} else if (scope_id(comp, "cri-containerd-", id, sizeof(id))) {
			snprintf(info->runtime, sizeof(info->runtime), "containerd");
			snprintf(info->id, sizeof(info->id), "%s", id);
		} else if (scope_id(comp, "crio-conmon-", id, sizeof(id)) ||
			   scope_id(comp, "crio-", id, sizeof(id))) {
			snprintf(info->runtime, sizeof(info->runtime), "cri-o");
			snprintf(info->id, sizeof(info->id), "%s", id);
		} else if (scope_id(comp, "libpod-conmon-", id, sizeof(id)) ||
			   scope_id(comp, "libpod-", id, sizeof(id))) {
			snprintf(info->runtime, sizeof(info->runtime), "podman");
			snprintf(info->id, sizeof(info->id), "%s", id);
		} else if (!strncmp(comp, "libpod-", 7) && cl == 7 + 64 && container_id__valid(comp + 7, 64)) {
			/* podman's cgroupfs manager: /libpod_parent/libpod-<id>, no .scope */
			snprintf(info->runtime, sizeof(info->runtime), "podman");
			snprintf(info->id, sizeof(info->id), "%s", comp + 7);
		} else if (container_id__valid(comp, cl) && cl == 64 &&
			   (!strcmp(prev, "docker") || in_kubepods)) {
			/* the cgroupfs driver: /docker/<id>, /kubepods/.../pod<uid>/<id> */
			snprintf(info->runtime, sizeof(info->runtime), "%s",
				 !strcmp(prev, "docker") ? "docker" : "cri");
			snprintf(info->id, sizeof(info->id), "%s", comp);
		} else if (cl > 8 && (!strcmp(comp + cl - 8, ".service") ||
				      (!strcmp(comp + cl - 6, ".scope") && !info->id[0]))) {
			snprintf(info->unit, sizeof(info->unit), "%s", comp);
		}
		snprintf(prev, sizeof(prev), "%s", comp);
	}
	if (!info->runtime[0] && info->unit[0])
		snprintf(info->runtime, sizeof(info->runtime), "systemd");
	return info->runtime[0] != 0;
}

/* an empty field is null: "no name", not a name "" */
#define STR_OR_NULL(w, info, field) \
	jw_string_or_null_field(w, #field, (info)->field, sizeof((info)->field))

void container_json(struct jw *w, const struct container_info *info)
{
	if (!info || !info->runtime[0]) {
		jw_null(w);
		return;
	}
	jw_start_object(w);
	jw_name(w, "runtime");
	jw_string_n(w, info->runtime, sizeof(info->runtime));
	STR_OR_NULL(w, info, id);
	STR_OR_NULL(w, info, name);
	STR_OR_NULL(w, info, pod_uid);
	STR_OR_NULL(w, info, pod);
	STR_OR_NULL(w, info, qos);
	STR_OR_NULL(w, info, unit);
	STR_OR_NULL(w, info, cgroup);
	STR_OR_NULL(w, info, source);
	if (info->proxy_ip[0]) {
		jw_name(w, "proxy_for");
		jw_start_object(w);
		jw_name(w, "ip");
		jw_string_n(w, info->proxy_ip, sizeof(info->proxy_ip));
		jw_uint_field(w, "port", info->proxy_port);
		jw_end_object(w);
	}
	jw_end_object(w);
}
