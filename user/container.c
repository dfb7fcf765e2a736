#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container.h"

#define CACHE_SLOTS 256
#define FILEID_KERNFS 0xfe	/* cgroupfs file handles carry the cgroup id */

static int is_hex_id(const char *s, size_t n)
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
	if (!is_hex_id(comp + pl, cl - pl - 6))
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
		snprintf(info->qos, sizeof(info->qos), "%s",
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
		} else if (is_hex_id(comp, cl) && cl == 64 &&
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

struct slot {
	__u64 cgid;
	int known;
	struct container_info info;
};

struct container_cache {
	char root[256];
	char data_root[256];
	int root_fd;
	struct slot slots[CACHE_SLOTS];
};

struct container_cache *container_cache__new(const char *root, const char *data_root)
{
	struct container_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->root, sizeof(c->root), "%s", root);
	snprintf(c->data_root, sizeof(c->data_root), "%s", data_root ? data_root : "");
	c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c;
}

void container_cache__free(struct container_cache *c)
{
	if (!c)
		return;
	if (c->root_fd >= 0)
		close(c->root_fd);
	free(c);
}

/* A small file into buf, NUL-terminated; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* The container's name in Docker's own files: config.v2.json "Name":"/foo". */
static void docker_name(const struct container_cache *c, struct container_info *info)
{
	char path[512], buf[8192], *p, *q;

	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json",
		 c->data_root, info->id);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	p = strstr(buf, "\"Name\":\"/");
	if (!p)
		return;
	p += 9;
	q = strchr(p, '"');
	if (q)
		snprintf(info->name, sizeof(info->name), "%.*s", (int)(q - p), p);
}

/* The pod's namespace/name from the kubelet's log folders: NS_NAME_UID. */
static void pod_name(const struct container_cache *c, struct container_info *info)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/var/log/pods", c->data_root);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), ul = strlen(info->pod_uid);
		char *sep;

		if (l <= ul + 1 || strcmp(e->d_name + l - ul, info->pod_uid) ||
		    e->d_name[l - ul - 1] != '_')
			continue;
		sep = strchr(e->d_name, '_');
		if (sep && sep < e->d_name + l - ul - 1)
			snprintf(info->pod, sizeof(info->pod), "%.*s/%.*s",
				 (int)(sep - e->d_name), e->d_name,
				 (int)(e->d_name + l - ul - 1 - sep - 1), sep + 1);
		break;
	}
	closedir(d);
}

static void fill_names(const struct container_cache *c, struct container_info *info)
{
	if (!strcmp(info->runtime, "docker"))
		docker_name(c, info);
	if (info->pod_uid[0])
		pod_name(c, info);
}

const struct container_info *container_cache__by_id(struct container_cache *c, __u64 cgid)
{
	struct slot *s = &c->slots[cgid % CACHE_SLOTS];
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	char link[64], path[768];
	int mount_id, fd;
	ssize_t n;

	if (s->cgid == cgid && s->known)
		return s->info.cgroup[0] ? &s->info : NULL;
	s->cgid = cgid;
	s->known = 1;
	memset(&s->info, 0, sizeof(s->info));
	if (c->root_fd < 0)
		return NULL;
	h.fh.handle_bytes = sizeof(__u64);
	h.fh.handle_type = FILEID_KERNFS;
	h.id = cgid;
	(void)mount_id;
	fd = open_by_handle_at(c->root_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		s->known = 0;	/* a cgroup made later may take the id: ask again */
		return NULL;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	path[n] = 0;
	/* relative to the v2 root, as /proc/PID/cgroup shows it */
	if (!strncmp(path, c->root, strlen(c->root)))
		memmove(path, path + strlen(c->root), strlen(path + strlen(c->root)) + 1);
	if (!path[0])
		snprintf(path, sizeof(path), "/");
	container_parse_path(path, &s->info);
	fill_names(c, &s->info);
	return &s->info;
}

/* The container Docker gave this IP address, from its config.v2.json files. */
static void docker_by_ip(const struct container_cache *c, struct container_info *info)
{
	char dir[512], path[800], want[96], buf[16384];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", c->data_root);
	snprintf(want, sizeof(want), "\"IPAddress\":\"%s\"", info->proxy_ip);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!is_hex_id(e->d_name, strlen(e->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/config.v2.json", dir, e->d_name);
		if (read_small(path, buf, sizeof(buf)) > 0 && strstr(buf, want)) {
			snprintf(info->runtime, sizeof(info->runtime), "docker");
			snprintf(info->id, sizeof(info->id), "%s", e->d_name);
			info->name[0] = 0;
			docker_name(c, info);
			break;
		}
	}
	if (d)
		closedir(d);
}

/*
 * docker-proxy holds a host port for a container: its command line names
 * the container's address and port (-container-ip X -container-port N).
 */
static void proxy_target(const struct container_cache *c, __u32 pid,
			 struct container_info *info)
{
	char path[64], buf[4096], *p, *end, comm[32] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if (read_small(path, comm, sizeof(comm)) <= 0)
		return;
	comm[strcspn(comm, "\n")] = 0;
	if (strcmp(comm, "docker-proxy"))
		return;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return;
	end = buf + n;
	for (p = buf; p < end; p += strlen(p) + 1) {
		char *val = p + strlen(p) + 1;

		if (val >= end)
			break;
		if (!strcmp(p, "-container-ip") || !strcmp(p, "--container-ip"))
			snprintf(info->proxy_ip, sizeof(info->proxy_ip), "%s", val);
		else if (!strcmp(p, "-container-port") || !strcmp(p, "--container-port"))
			info->proxy_port = (__u16)atoi(val);
	}
	if (!info->proxy_ip[0])
		return;
	docker_by_ip(c, info);
	if (!info->runtime[0])	/* a proxy of Docker's, container not found */
		snprintf(info->runtime, sizeof(info->runtime), "docker");
}

const struct container_info *container_cache__by_pid(struct container_cache *c, __u32 pid,
						     struct container_info *buf)
{
	char path[64], line[640];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		container_parse_path(line + 3, buf);
		fill_names(c, buf);
		found = 1;
		break;
	}
	fclose(f);
	if (found)
		proxy_target(c, pid, buf);
	return found ? buf : NULL;
}

static void str_or_null(struct sbuf *sb, const char *key, const char *v)
{
	sbuf_printf(sb, ",\"%s\":", key);
	if (v[0])
		sbuf_json_str(sb, v, strlen(v));
	else
		sbuf_puts(sb, "null");
}

void container_json(struct sbuf *sb, const struct container_info *info)
{
	if (!info || !info->runtime[0]) {
		sbuf_puts(sb, "null");
		return;
	}
	sbuf_puts(sb, "{\"runtime\":");
	sbuf_json_str(sb, info->runtime, strlen(info->runtime));
	str_or_null(sb, "id", info->id);
	str_or_null(sb, "name", info->name);
	str_or_null(sb, "pod_uid", info->pod_uid);
	str_or_null(sb, "pod", info->pod);
	str_or_null(sb, "qos", info->qos);
	str_or_null(sb, "unit", info->unit);
	str_or_null(sb, "cgroup", info->cgroup);
	if (info->proxy_ip[0]) {
		sbuf_puts(sb, ",\"proxy_for\":{\"ip\":");
		sbuf_json_str(sb, info->proxy_ip, strlen(info->proxy_ip));
		sbuf_printf(sb, ",\"port\":%u}", info->proxy_port);
	}
	sbuf_putc(sb, '}');
}
