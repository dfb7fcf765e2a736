#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "runtime_json.h"

static void copy_str(json_t *v, char *dst, size_t len)
{
	const char *s = json_string_value(v);
	size_t n;

	dst[0] = 0;
	if (!s)
		return;
	n = json_string_length(v);
	/* names and ids longer than the field, or with a NUL inside, are not
	 * shown shortened: they are refused (left empty) */
	if (n >= len || strlen(s) != n)
		return;
	memcpy(dst, s, n + 1);
}

static json_t *load(const char *buf, size_t len)
{
	json_error_t e;

	if (len > RUNTIME_JSON_MAX)
		return NULL;
	return json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
}

int runtime_docker_parse(const char *buf, size_t len, struct docker_meta *m)
{
	json_t *root = load(buf, len), *nets, *v;
	const char *key;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(root)) {
		json_decref(root);
		return -EINVAL;
	}
	copy_str(json_object_get(root, "ID"), m->id, sizeof(m->id));
	copy_str(json_object_get(root, "Name"), m->name, sizeof(m->name));
	if (m->name[0] == '/')
		memmove(m->name, m->name + 1, strlen(m->name));
	m->running = json_is_true(json_object_get(json_object_get(root, "State"), "Running"));
	nets = json_object_get(json_object_get(root, "NetworkSettings"), "Networks");
	json_object_foreach(nets, key, v) {
		static const char *const fields[] = { "IPAddress", "GlobalIPv6Address" };

		for (size_t f = 0; f < 2 && m->nips < DOCKER_MAX_IPS; f++) {
			copy_str(json_object_get(v, fields[f]), m->ips[m->nips], sizeof(m->ips[0]));
			if (m->ips[m->nips][0])
				m->nips++;
		}
	}
	(void)key;
	json_decref(root);
	return 0;
}

int runtime_docker_binds_port(const char *buf, size_t len, unsigned int port,
			      const char *proto)
{
	json_t *root = load(buf, len), *binds, *list, *b;
	const char *key;
	int found = 0;

	if (!json_is_object(root)) {
		json_decref(root);
		return -EINVAL;
	}
	binds = json_object_get(root, "PortBindings");
	json_object_foreach(binds, key, list) {
		const char *slash = strchr(key, '/');
		size_t i;

		/* "80/tcp": the container's side; the host's is in HostPort */
		if (!slash || strcmp(slash + 1, proto))
			continue;
		json_array_foreach(list, i, b) {
			const char *hp = json_string_value(json_object_get(b, "HostPort"));
			char *end;
			unsigned long v;

			if (!hp || !hp[0])
				continue;
			v = strtoul(hp, &end, 10);
			if (!*end && v == port)
				found = 1;
		}
	}
	json_decref(root);
	return found;
}

/* The entry of containers.json whose id or first name matches. */
static int podman_find(const char *buf, size_t len, const char *id, const char *name,
		       char *out, size_t out_len)
{
	json_t *root = load(buf, len), *e;
	size_t i;
	int err = -ENOENT;

	out[0] = 0;
	if (!json_is_array(root)) {
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(root, i, e) {
		const char *eid = json_string_value(json_object_get(e, "id"));
		json_t *names = json_object_get(e, "names");
		json_t *first = json_array_get(names, 0);
		const char *n0 = json_string_value(first);

		if (!eid)
			continue;
		if (id && !strcmp(eid, id)) {
			copy_str(first, out, out_len);
			err = n0 ? 0 : -ENOENT;
			break;
		}
		if (name && ((n0 && !strcmp(n0, name)) ||
			     (strlen(name) >= 12 && !strncmp(eid, name, strlen(name))))) {
			copy_str(json_object_get(e, "id"), out, out_len);
			err = 0;
			break;
		}
	}
	json_decref(root);
	return err;
}

int runtime_podman_name(const char *buf, size_t len, const char *id, char *name,
			size_t name_len)
{
	return podman_find(buf, len, id, NULL, name, name_len);
}

int runtime_podman_id(const char *buf, size_t len, const char *name, char *id,
		      size_t id_len)
{
	return podman_find(buf, len, NULL, name, id, id_len);
}
