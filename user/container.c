#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "file.h"
#include "json_writer.h"
#include "proc.h"
#include "container.h"
#include "runtime_json.h"

#define CACHE_SLOTS 1024	/* cgroup ids are inode numbers: direct-mapped */
#define WATCH_MAX 512		/* inotify watches on cgroup parents */
#define WATCH_DEPTH 3		/* parents down to /kubepods/burstable/pod<uid> */
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
		} else if (!strncmp(comp, "libpod-", 7) && cl == 7 + 64 && is_hex_id(comp + 7, 64)) {
			/* podman's cgroupfs manager: /libpod_parent/libpod-<id>, no .scope */
			snprintf(info->runtime, sizeof(info->runtime), "podman");
			snprintf(info->id, sizeof(info->id), "%s", comp + 7);
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

struct watch {
	int wd;
	int depth;
	char rel[256];	/* relative to the cgroup-v2 root, "" for the root */
};

/*
 * The cache is written by the watcher thread (a cgroup appeared) and by the
 * caller (a cgroup the watcher never saw); lock guards slots[] and out.
 */
struct container_cache {
	char root[256];
	char data_root[256];
	int root_fd;
	pthread_mutex_t lock;
	struct slot *slots;
	struct container_info out;	/* what by_id() hands out, a copy */
	/* the watcher: inotify on the runtimes' cgroup parents */
	int watching;		/* 0 not started, 1 running, -1 could not start */
	int ifd, stop_fd;
	pthread_t thread;
	struct watch *watches;
	int nwatches;
	unsigned long watch_refused;	/* parents not watched: WATCH_MAX reached */
};

struct container_cache *container_cache__new(const char *root, const char *data_root)
{
	struct container_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slots = calloc(CACHE_SLOTS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->root, sizeof(c->root), "%s", root);
	snprintf(c->data_root, sizeof(c->data_root), "%s", data_root ? data_root : "");
	c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->ifd = c->stop_fd = -1;
	return c;
}

void container_cache__free(struct container_cache *c)
{
	if (!c)
		return;
	if (c->watching == 1) {
		__u64 one = 1;

		if (write(c->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(c->thread, NULL);
	}
	if (c->ifd >= 0)
		close(c->ifd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	pthread_mutex_destroy(&c->lock);
	free(c->watches);
	free(c->slots);
	free(c);
}

/*
 * A runtime's JSON file whole into a malloc'd buffer: bounded, regular files
 * only (no FIFO blocks the agent), and never through a link, since the
 * runtimes' folders are not ours.  0, -EFBIG, or -errno.
 */
static int runtime_file_read(const char *path, char **buf, size_t *len)
{
	return file__read_whole(path, RUNTIME_JSON_MAX, O_NOFOLLOW, buf, len);
}

/* Docker's own file about one container, parsed whole; 0 or -errno. */
static int docker_meta_of(const struct container_cache *c, const char *id,
			  struct docker_meta *m)
{
	char path[512], *buf;
	size_t len;
	int err;

	memset(m, 0, sizeof(*m));
	if (!is_hex_id(id, strlen(id)))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json",
		 c->data_root, id);
	err = runtime_file_read(path, &buf, &len);
	if (err)
		return err;
	err = runtime_docker_parse(buf, len, m);
	free(buf);
	return err;
}

static void docker_name(const struct container_cache *c, struct container_info *info)
{
	struct docker_meta m;

	if (!docker_meta_of(c, info->id, &m) && m.name[0]) {
		snprintf(info->name, sizeof(info->name), "%s", m.name);
		snprintf(info->source, sizeof(info->source), "config.v2.json");
	}
}

/* Podman's container store (rootful): one JSON file for every container. */
static int podman_store(const struct container_cache *c, char **buf, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path),
		 "%s/var/lib/containers/storage/overlay-containers/containers.json", c->data_root);
	return runtime_file_read(path, buf, len);
}

static void podman_name(const struct container_cache *c, struct container_info *info)
{
	char *buf;
	size_t len;

	if (podman_store(c, &buf, &len))
		return;
	if (!runtime_podman_name(buf, len, info->id, info->name, sizeof(info->name)))
		snprintf(info->source, sizeof(info->source), "containers.json");
	free(buf);
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
	else if (!strcmp(info->runtime, "podman"))
		podman_name(c, info);
	if (info->pod_uid[0])
		pod_name(c, info);
}

/* Keep what is known of a cgroup: it outlives the cgroup in the cache. */
static void slot_store(struct container_cache *c, __u64 cgid, const struct container_info *info)
{
	struct slot *s = &c->slots[cgid % CACHE_SLOTS];

	pthread_mutex_lock(&c->lock);
	s->cgid = cgid;
	s->known = 1;
	s->info = *info;
	pthread_mutex_unlock(&c->lock);
}

/* ---- the watcher: a cgroup is named while it exists, the moment it appears */

static void watch_dir(struct container_cache *c, const char *rel, int depth);

/* A cgroup folder seen (at start, or created since): name it, or watch it. */
static void watch_consider(struct container_cache *c, const char *rel, int depth)
{
	struct container_info info;
	char abs[300];
	struct stat st;

	/* the cgroup id is the inode number of its folder in cgroupfs */
	if (fstatat(c->root_fd, rel[0] ? rel : ".", &st, 0) || !S_ISDIR(st.st_mode))
		return;
	snprintf(abs, sizeof(abs), "/%s", rel);	/* as /proc/PID/cgroup shows it */
	container_parse_path(abs, &info);
	if (info.id[0]) {
		fill_names(c, &info);
		slot_store(c, (__u64)st.st_ino, &info);
		return;		/* a container's own sub-cgroups add nothing */
	}
	if (depth < WATCH_DEPTH)
		watch_dir(c, rel, depth + 1);
}

static void watch_dir(struct container_cache *c, const char *rel, int depth)
{
	char abs[600], sub[256];
	struct dirent *e;
	struct watch *w;
	DIR *d;
	int wd, fd;

	if (c->nwatches == WATCH_MAX) {
		c->watch_refused++;
		return;
	}
	snprintf(abs, sizeof(abs), "%s/%s", c->root, rel);
	wd = inotify_add_watch(c->ifd, abs, IN_CREATE | IN_ONLYDIR);
	if (wd < 0)
		return;
	for (int i = 0; i < c->nwatches; i++)
		if (c->watches[i].wd == wd)
			return;	/* seen twice (scan and event): watched already */
	w = &c->watches[c->nwatches++];
	w->wd = wd;
	w->depth = depth;
	snprintf(w->rel, sizeof(w->rel), "%s", rel);
	/* after the watch: a folder made meanwhile is seen twice, never not at all */
	fd = openat(c->root_fd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
				     e->d_name) >= sizeof(sub))
			continue;	/* deeper than any runtime's layout */
		watch_consider(c, sub, depth);
	}
	closedir(d);
}

static void watch_events(struct container_cache *c)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(c->ifd, buf, sizeof(buf));

	for (char *p = buf; n > 0 && p < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;

		p += sizeof(*ev) + ev->len;
		if (ev->mask & IN_IGNORED) {	/* the parent went away */
			for (int i = c->nwatches - 1; i >= 0; i--)
				if (c->watches[i].wd == ev->wd)
					c->watches[i] = c->watches[--c->nwatches];
			continue;
		}
		if (!(ev->mask & IN_CREATE) || !(ev->mask & IN_ISDIR) || !ev->len)
			continue;
		for (int i = 0; i < c->nwatches; i++) {
			char sub[256];

			if (c->watches[i].wd != ev->wd)
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", c->watches[i].rel,
					     c->watches[i].rel[0] ? "/" : "", ev->name) < sizeof(sub))
				watch_consider(c, sub, c->watches[i].depth);
			break;
		}
	}
}

static void *watch_main(void *arg)
{
	struct container_cache *c = arg;

	for (;;) {
		struct pollfd p[2] = { { c->ifd, POLLIN, 0 }, { c->stop_fd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			watch_events(c);
	}
	return NULL;
}

/* Started at the first lookup: after the agent dropped its privileges,
 * which the thread then shares. */
static void watch_start(struct container_cache *c)
{
	c->watching = -1;
	if (c->root_fd < 0)
		return;
	c->watches = calloc(WATCH_MAX, sizeof(*c->watches));
	c->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!c->watches || c->ifd < 0 || c->stop_fd < 0)
		return;
	watch_dir(c, "", 0);
	if (pthread_create(&c->thread, NULL, watch_main, c))
		return;
	c->watching = 1;
}

/* Name a cgroup id the watcher never saw, through a file handle (it must
 * still exist).  0, or -ENOENT when it cannot be found now. */
static int resolve_by_handle(struct container_cache *c, __u64 cgid, struct container_info *info)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	char link[64], path[768];
	int fd;
	ssize_t n;

	memset(info, 0, sizeof(*info));
	if (c->root_fd < 0)
		return -ENOENT;
	h.fh.handle_bytes = sizeof(__u64);
	h.fh.handle_type = FILEID_KERNFS;
	h.id = cgid;
	fd = open_by_handle_at(c->root_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	path[n] = 0;
	/* relative to the v2 root, as /proc/PID/cgroup shows it */
	if (!strncmp(path, c->root, strlen(c->root)))
		memmove(path, path + strlen(c->root), strlen(path + strlen(c->root)) + 1);
	if (!path[0])
		snprintf(path, sizeof(path), "/");
	container_parse_path(path, info);
	fill_names(c, info);
	return 0;
}

const struct container_info *container_cache__by_id(struct container_cache *c, __u64 cgid)
{
	struct container_info info;
	struct slot *s = &c->slots[cgid % CACHE_SLOTS];
	int hit;

	if (!c->watching)
		watch_start(c);
	pthread_mutex_lock(&c->lock);
	hit = s->cgid == cgid && s->known;
	if (hit)
		c->out = s->info;
	pthread_mutex_unlock(&c->lock);
	if (hit)
		return c->out.cgroup[0] ? &c->out : NULL;
	if (resolve_by_handle(c, cgid, &info))
		return NULL;	/* not cached: a cgroup made later may take the id */
	slot_store(c, cgid, &info);
	c->out = info;
	return c->out.cgroup[0] ? &c->out : NULL;
}

int container_cache__watching(const struct container_cache *c)
{
	return c->watching == 1;
}

/* ---- runtime port reservations: docker-proxy, podman */

/* The value after option name in a cmdline ("-opt V", "--opt V", "--opt=V"). */
static const char *cmdline_opt(const char *buf, ssize_t n, const char *name)
{
	const char *end = buf + n;
	size_t nl = strlen(name);

	for (const char *p = buf; p < end; p += strlen(p) + 1) {
		const char *o = p;

		if (*o != '-')
			continue;
		o += o[1] == '-' ? 2 : 1;
		if (!strncmp(o, name, nl) && o[nl] == '=')
			return o + nl + 1;
		if (!strcmp(o, name) && p + strlen(p) + 1 < end)
			return p + strlen(p) + 1;
	}
	return NULL;
}

/* uid 0 (real and effective) and the executable at path; 1, 0 or -errno. */
static int proc_is_root_exe(__u32 pid, const char *const *paths, const char *extra)
{
	char path[64], exe[PATH_MAX], status[2048], *u;
	unsigned int ruid, euid;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (file__read_small(path, status, sizeof(status)) <= 0 || !(u = strstr(status, "\nUid:")) ||
	    sscanf(u + 5, "%u %u", &ruid, &euid) != 2)
		return -ENOENT;
	if (ruid || euid)
		return 0;
	for (; *paths; paths++)
		if (!strcmp(exe, *paths))
			return 1;
	return extra && extra[0] && !strcmp(exe, extra);
}

/* dockerd's --userland-proxy-path, from the proxy's parent's command line. */
static void configured_proxy_path(__u32 pid, char *buf, size_t len)
{
	char path[64], status[2048], cmd[4096], *p;
	unsigned int ppid;
	const char *v;
	ssize_t n;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (file__read_small(path, status, sizeof(status)) <= 0 || !(p = strstr(status, "\nPPid:")) ||
	    sscanf(p + 6, "%u", &ppid) != 1 || !ppid)
		return;
	n = proc_read_cmdline(ppid, cmd, sizeof(cmd));
	if (n > 0 && (v = cmdline_opt(cmd, n, "userland-proxy-path")))
		snprintf(buf, len, "%s", v);
}

static const char *const proxy_paths[] = {
	"/usr/bin/docker-proxy", "/usr/sbin/docker-proxy", "/usr/libexec/docker/docker-proxy",
	"/usr/local/bin/docker-proxy", NULL
};
static const char *const podman_paths[] = {
	"/usr/bin/podman", "/usr/local/bin/podman", NULL
};
static const char *const conmon_paths[] = {
	"/usr/bin/conmon", "/usr/libexec/podman/conmon", "/usr/local/bin/conmon", NULL
};

/* The Docker container with this address, from every config.v2.json. */
static int docker_by_ip(const struct container_cache *c, const char *ip,
			struct container_info *info)
{
	char dir[512];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", c->data_root);
	d = opendir(dir);
	while (d && !found && (e = readdir(d))) {
		struct docker_meta m;

		if (!is_hex_id(e->d_name, strlen(e->d_name)) || docker_meta_of(c, e->d_name, &m))
			continue;
		for (int i = 0; i < m.nips && !found; i++)
			found = !strcmp(m.ips[i], ip);
		if (found) {
			snprintf(info->runtime, sizeof(info->runtime), "docker");
			snprintf(info->id, sizeof(info->id), "%.64s", e->d_name);
			snprintf(info->name, sizeof(info->name), "%s", m.name);
		}
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * docker-proxy holds a host port for a container: its command line names
 * the container's address and port.  Only a root docker-proxy at Docker's
 * path (or dockerd's --userland-proxy-path) is believed.
 */
static int proxy_target(const struct container_cache *c, __u32 pid, struct container_info *info)
{
	char buf[4096], conf[PATH_MAX];
	const char *ip, *port;
	ssize_t n;

	configured_proxy_path(pid, conf, sizeof(conf));
	if (proc_is_root_exe(pid, proxy_paths, conf) != 1)
		return 0;
	n = proc_read_cmdline(pid, buf, sizeof(buf));
	if (n <= 0 || !(ip = cmdline_opt(buf, n, "container-ip")))
		return 0;
	snprintf(info->proxy_ip, sizeof(info->proxy_ip), "%s", ip);
	port = cmdline_opt(buf, n, "container-port");
	info->proxy_port = port ? (__u16)atoi(port) : 0;
	info->id[0] = info->name[0] = 0;
	snprintf(info->runtime, sizeof(info->runtime), "docker");
	if (docker_by_ip(c, ip, info))
		snprintf(info->source, sizeof(info->source), "docker-proxy -container-ip");
	else	/* a proxy of Docker's, its container not (yet) on disk */
		snprintf(info->source, sizeof(info->source), "docker-proxy");
	return 1;
}

/*
 * podman binds the host ports of "podman run/start" itself before handing
 * them to conmon: the container is the one its command line names.
 */
static int podman_target(const struct container_cache *c, __u32 pid, struct container_info *info)
{
	char buf[8192], *store;
	const char *name;
	size_t len;
	ssize_t n;

	if (proc_is_root_exe(pid, podman_paths, NULL) != 1)
		return 0;
	n = proc_read_cmdline(pid, buf, sizeof(buf));
	if (n <= 0 || !(name = cmdline_opt(buf, n, "name")))
		return 0;
	memset(info, 0, sizeof(*info));
	snprintf(info->runtime, sizeof(info->runtime), "podman");
	snprintf(info->name, sizeof(info->name), "%s", name);
	snprintf(info->source, sizeof(info->source), "podman --name");
	if (!podman_store(c, &store, &len)) {
		if (!runtime_podman_id(store, len, name, info->id, sizeof(info->id)))
			snprintf(info->source, sizeof(info->source), "podman --name, containers.json");
		free(store);
	}
	return 1;
}

/*
 * A docker-proxy that failed to bind exits at once, before its command line
 * can be read: the container being started is the one whose hostconfig.json
 * publishes that host port and that is not running (the newest such).
 */
static int docker_by_host_port(const struct container_cache *c, __u16 port, const char *proto,
			       struct container_info *info)
{
	char dir[512], path[600], best[80] = "";
	struct timespec best_t = { 0, 0 };
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", c->data_root);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		struct docker_meta m;
		struct stat st;
		char *buf;
		size_t len;
		int hit;

		if (!is_hex_id(e->d_name, strlen(e->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%.64s/hostconfig.json", dir, e->d_name);
		if (runtime_file_read(path, &buf, &len))
			continue;
		hit = runtime_docker_binds_port(buf, len, port, proto) == 1;
		free(buf);
		if (!hit || docker_meta_of(c, e->d_name, &m) || m.running)
			continue;
		if (!stat(path, &st) && (st.st_mtim.tv_sec > best_t.tv_sec ||
					 (st.st_mtim.tv_sec == best_t.tv_sec &&
					  st.st_mtim.tv_nsec > best_t.tv_nsec))) {
			best_t = st.st_mtim;
			snprintf(best, sizeof(best), "%.64s", e->d_name);
			snprintf(info->name, sizeof(info->name), "%s", m.name);
		}
	}
	if (d)
		closedir(d);
	if (!best[0])
		return 0;
	snprintf(info->runtime, sizeof(info->runtime), "docker");
	snprintf(info->id, sizeof(info->id), "%s", best);
	return 1;
}

/*
 * conmon keeps the host ports podman reserved for a container (podman binds
 * them, then hands them over): its command line names the container
 * (-c ID, -n NAME).
 */
static int conmon_target(const struct container_cache *c, __u32 pid, struct container_info *info)
{
	char buf[8192], *store;
	const char *id, *name;
	size_t len;
	ssize_t n;

	if (proc_is_root_exe(pid, conmon_paths, NULL) != 1)
		return 0;
	n = proc_read_cmdline(pid, buf, sizeof(buf));
	if (n <= 0 || !(id = cmdline_opt(buf, n, "c")) || !is_hex_id(id, strlen(id)))
		return 0;
	memset(info, 0, sizeof(*info));
	snprintf(info->runtime, sizeof(info->runtime), "podman");
	snprintf(info->id, sizeof(info->id), "%s", id);
	snprintf(info->source, sizeof(info->source), "conmon -c");
	name = cmdline_opt(buf, n, "n");
	if (name) {
		snprintf(info->name, sizeof(info->name), "%s", name);
		snprintf(info->source, sizeof(info->source), "conmon -c -n");
	} else if (!podman_store(c, &store, &len)) {
		if (!runtime_podman_name(store, len, id, info->name, sizeof(info->name)))
			snprintf(info->source, sizeof(info->source), "conmon -c, containers.json");
		free(store);
	}
	return 1;
}

int container_cache__reservation(struct container_cache *c, __u32 pid, const char *comm,
				 __u32 uid, __u16 port, __u8 proto, struct container_info *info)
{
	struct container_info found;

	/* the per-event path: only these two names are worth a look in /proc */
	if (comm && strncmp(comm, "docker-proxy", 16) && strncmp(comm, "podman", 16) &&
	    strncmp(comm, "conmon", 16))
		return 0;
	if (proxy_target(c, pid, info))
		return 1;
	if (podman_target(c, pid, info))
		return 1;
	if (conmon_target(c, pid, info))
		return 1;
	/* gone already: only the event's own word (comm, uid) is left */
	if (!comm || strncmp(comm, "docker-proxy", 16) || uid || !port ||
	    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return 0;
	memset(&found, 0, sizeof(found));
	if (!docker_by_host_port(c, port, proto == 17 ? "udp" : "tcp", &found))
		return 0;
	snprintf(found.source, sizeof(found.source), "hostconfig.json, proxy exited");
	*info = found;
	return 1;
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
		container_cache__reservation(c, pid, NULL, 0, 0, 0, buf);
	return found ? buf : NULL;
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
