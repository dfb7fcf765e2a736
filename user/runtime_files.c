/* The runtimes' files on disk, read (bounded, no links) and handed to the
 * parser in runtime_json.c: a container's name and its pod's.  Kept apart from
 * the cache so the reservation lookups (container_reserve.c) read the same
 * files the same way. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "file.h"
#include "container.h"
#include "runtime_files.h"
#include "runtime_json.h"

/*
 * A runtime's JSON file whole into a malloc'd buffer: bounded, regular files
 * only (no FIFO blocks the agent), and never through a link, since the
 * runtimes' folders are not ours.  0, -EFBIG, or -errno.
 */
int runtime_file_read(const char *path, char **buf, size_t *len)
{
	return file__read_whole(path, RUNTIME_JSON_MAX, O_NOFOLLOW, buf, len);
}

/* Docker's own file about one container, parsed whole; 0 or -errno. */
int runtime_docker_meta(const char *data_root, const char *id, struct docker_meta *m)
{
	char path[512], *buf;
	size_t len;
	int err;

	memset(m, 0, sizeof(*m));
	if (!container_id__valid(id, strlen(id)))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json",
		 data_root, id);
	err = runtime_file_read(path, &buf, &len);
	if (err)
		return err;
	err = runtime_docker_parse(buf, len, m);
	free(buf);
	return err;
}

static void docker_name(const char *data_root, struct container_info *info)
{
	struct docker_meta m;

	if (!runtime_docker_meta(data_root, info->id, &m) && m.name[0]) {
		snprintf(info->name, sizeof(info->name), "%s", m.name);
		snprintf(info->source, sizeof(info->source), "config.v2.json");
	}
}

/* Podman's container store (rootful): one JSON file for every container. */
int runtime_podman_store(const char *data_root, char **buf, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path),
		 "%s/var/lib/containers/storage/overlay-containers/containers.json", data_root);
	return runtime_file_read(path, buf, len);
}

static void podman_name(const char *data_root, struct container_info *info)
{
	char *buf;
	size_t len;

	if (runtime_podman_store(data_root, &buf, &len))
		return;
	if (!runtime_podman_name(buf, len, info->id, info->name, sizeof(info->name)))
		snprintf(info->source, sizeof(info->source), "containers.json");
	free(buf);
}

/* The pod's namespace/name from the kubelet's log folders: NS_NAME_UID. */
static void pod_name(const char *data_root, struct container_info *info)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/var/log/pods", data_root);
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

void runtime_fill_names(const char *data_root, struct container_info *info)
{
	if (!strcmp(info->runtime, "docker"))
		docker_name(data_root, info);
	else if (!strcmp(info->runtime, "podman"))
		podman_name(data_root, info);
	if (info->pod_uid[0])
		pod_name(data_root, info);
}
