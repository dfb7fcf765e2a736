/* Containers: from a cgroup-v2 path (or id) to the runtime, container id,
 * pod and systemd unit; names from the runtimes' files on disk, never a call
 * to a daemon. */
#ifndef BW_CONTAINER_H
#define BW_CONTAINER_H

#include <stddef.h>
#include <linux/types.h>
#include "sbuf.h"

struct container_info {
	char runtime[16];	/* docker, containerd, cri-o, podman, systemd, "" */
	char id[80];		/* container id (64 hex for OCI runtimes) */
	char pod_uid[40];	/* Kubernetes pod uid, dashes restored */
	char qos[16];		/* guaranteed, burstable, besteffort */
	char unit[128];		/* innermost systemd unit (.service/.scope) */
	char name[256];		/* container name, from disk when it can be read */
	char pod[160];		/* namespace/name of the pod, from /var/log/pods */
	char cgroup[512];	/* the cgroup-v2 path */
	char proxy_ip[48];	/* a docker-proxy holder: the container address */
	__u16 proxy_port;	/* and port it forwards to; the fields above then
				 * name that container when it can be read */
	char source[48];	/* where the name (or the reserved-for container)
				 * came from: "config.v2.json", "containers.json",
				 * "docker-proxy -container-ip", "podman --name" */
};

/*
 * Parse a cgroup-v2 path ("/system.slice/docker-<id>.scope", ...) into info.
 * Pure: no I/O.  Returns 1 when the path names a container or unit, else 0.
 */
int container_parse_path(const char *path, struct container_info *info);

struct container_cache;

/* root: the cgroup-v2 mount; data_root: prefix for /var/lib, /var/log ("" in
 * production, a folder in tests). */
struct container_cache *container_cache__new(const char *root, const char *data_root);
void container_cache__free(struct container_cache *c);	/* accepts NULL */

/*
 * Resolve a cgroup id; NULL when it is not known.  The first call starts a
 * watcher thread (inotify on the cgroup-v2 tree down to the runtimes'
 * parents) that names each container cgroup the moment it appears and keeps
 * that identity after the cgroup is gone: a container that died because its
 * bind failed is still named.  The result is a copy owned by the cache,
 * valid until the next call.
 */
const struct container_info *container_cache__by_id(struct container_cache *c, __u64 cgid);
/* 1 when the watcher runs (tests and diagnostics). */
int container_cache__watching(const struct container_cache *c);

/*
 * A runtime's port reservation: pid is a root docker-proxy at Docker's path
 * (or dockerd's --userland-proxy-path), podman itself binding the host
 * port of "podman run --name X", or the conmon podman handed the port to.  Fills info with the container the port is
 * for (source says how it was found) and returns 1; 0 (info untouched) when
 * pid is no such process or is gone.  comm (the event's, may be NULL) lets
 * the per-event path skip /proc for every other process.  A docker-proxy
 * (by comm, uid 0) already gone: the not-running container whose
 * hostconfig.json publishes port/proto (source says so).
 */
int container_cache__reservation(struct container_cache *c, __u32 pid, const char *comm,
				 __u32 uid, __u16 port, __u8 proto, struct container_info *info);
/* Resolve a live process through /proc/PID/cgroup; NULL when gone. */
const struct container_info *container_cache__by_pid(struct container_cache *c, __u32 pid,
						     struct container_info *buf);

struct jw;
/* The container as the next JSON value of w: null when info is NULL or names nothing. */
void container_json(struct jw *w, const struct container_info *info);

#endif
