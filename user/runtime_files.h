/* The runtimes' files on disk (Docker's config.v2.json, Podman's store, the
 * kubelet's pod log folders), read whole, bounded and never through a link:
 * those folders are not ours.  data_root prefixes /var/lib and /var/log (""
 * in production, a folder in tests).  Parsing is runtime_json.c. */
#ifndef BW_RUNTIME_FILES_H
#define BW_RUNTIME_FILES_H

#include <stddef.h>

struct container_info;
struct docker_meta;

/* path whole into a malloc'd *buf (caller frees), at most RUNTIME_JSON_MAX,
 * regular files only, no link followed.  0, -EFBIG, or -errno. */
int runtime_file_read(const char *path, char **buf, size_t *len);
/* Docker's config.v2.json of container id (hex), parsed into m.  0, -EINVAL
 * for an id that is not hex, or -errno. */
int runtime_docker_meta(const char *data_root, const char *id, struct docker_meta *m);
/* Podman's rootful container store, whole, as runtime_file_read(). */
int runtime_podman_store(const char *data_root, char **buf, size_t *len);
/* Fill info->name (and source) from the runtime's files and info->pod from
 * the kubelet's log folders, when they can be read; otherwise leave them. */
void runtime_fill_names(const char *data_root, struct container_info *info);

#endif
