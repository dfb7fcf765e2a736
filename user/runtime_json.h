/* The runtimes' own files, read whole with a JSON parser and treated as
 * untrusted: Docker's config.v2.json and Podman's container store
 * (containers.json).  No daemon is ever asked. */
#ifndef BW_RUNTIME_JSON_H
#define BW_RUNTIME_JSON_H

#include <stddef.h>

/* Bigger files are refused (-EFBIG), never cut: 300 labels make 28 KB.
 * Read with file__read_whole() (container.c); this file only parses. */
#define RUNTIME_JSON_MAX (16u << 20)
#define DOCKER_MAX_IPS 8

struct docker_meta {
	char id[80];
	char name[256];		/* "Name" without its leading '/'; "" if absent */
	int running;		/* State.Running */
	int nips;
	char ips[DOCKER_MAX_IPS][48];	/* NetworkSettings.Networks.*.IPAddress */
};

/*
 * Docker's config.v2.json: the top-level "ID", "Name", "State.Running" and
 * the container's addresses.  Labels (Config.Labels) are never looked at,
 * whatever their keys.  0, or -EINVAL when buf is not a JSON object.
 */
int runtime_docker_parse(const char *buf, size_t len, struct docker_meta *m);

/*
 * Docker's hostconfig.json: does HostConfig.PortBindings publish host port
 * port over proto ("tcp", "udp")?  1, 0, or -EINVAL when buf is not an object.
 */
int runtime_docker_binds_port(const char *buf, size_t len, unsigned int port,
			      const char *proto);

/*
 * Podman's containers.json (an array of {"id", "names": [...]}): the first
 * name of the container with this id into name.  0, -ENOENT when the id is
 * not there, -EINVAL when buf is not such an array.
 */
int runtime_podman_name(const char *buf, size_t len, const char *id, char *name,
			size_t name_len);

/*
 * Podman's containers.json, the other way: the id of the container with
 * this name (or id prefix of at least 12).  0, -ENOENT or -EINVAL.
 */
int runtime_podman_id(const char *buf, size_t len, const char *name, char *id,
		      size_t id_len);

#endif
