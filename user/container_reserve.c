/* Runtime port reservations: the host port a docker-proxy, podman or conmon
 * holds belongs to a container, and which one is read from the process's
 * command line and the runtimes' files.  Apart from the identity cache
 * (container.c) because it answers by pid, not by cgroup. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include "file.h"
#include "proc.h"
#include "container.h"
#include "runtime_files.h"
#include "runtime_json.h"

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

	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", container_cache__data_root(c));
	d = opendir(dir);
	while (d && !found && (e = readdir(d))) {
		struct docker_meta m;

		if (!container_id__valid(e->d_name, strlen(e->d_name)) ||
		    runtime_docker_meta(container_cache__data_root(c), e->d_name, &m))
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
	if (!runtime_podman_store(container_cache__data_root(c), &store, &len)) {
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

	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", container_cache__data_root(c));
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		struct docker_meta m;
		struct stat st;
		char *buf;
		size_t len;
		int hit;

		if (!container_id__valid(e->d_name, strlen(e->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%.64s/hostconfig.json", dir, e->d_name);
		if (runtime_file_read(path, &buf, &len))
			continue;
		hit = runtime_docker_binds_port(buf, len, port, proto) == 1;
		free(buf);
		if (!hit || runtime_docker_meta(container_cache__data_root(c), e->d_name, &m) || m.running)
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
	if (n <= 0 || !(id = cmdline_opt(buf, n, "c")) || !container_id__valid(id, strlen(id)))
		return 0;
	memset(info, 0, sizeof(*info));
	snprintf(info->runtime, sizeof(info->runtime), "podman");
	snprintf(info->id, sizeof(info->id), "%s", id);
	snprintf(info->source, sizeof(info->source), "conmon -c");
	name = cmdline_opt(buf, n, "n");
	if (name) {
		snprintf(info->name, sizeof(info->name), "%s", name);
		snprintf(info->source, sizeof(info->source), "conmon -c -n");
	} else if (!runtime_podman_store(container_cache__data_root(c), &store, &len)) {
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
