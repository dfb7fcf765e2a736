/*
 * Runtime layouts recognised from cgroup-v2 path shapes, and the runtimes'
 * JSON files.  The docker (cgroupfs) and podman (cgroupfs) rows are the
 * layouts the real runtimes made on the test machine (the kernel suite runs
 * them for real); kubepods, CRI-O, containerd and the systemd-driver scopes
 * are shaped fixtures: no such runtime runs here.
 */
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "container.h"
#include "runtime_json.h"
#include "tap.h"

#define ID "3f2a9b1c0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

/* Labels come before Name in Docker's file, and may use any key. */
static void json_cases(void)
{
	struct sbuf big;
	struct docker_meta m;
	char name[64], id[80];
	static const char dup[] = "{\"Name\":\"/a\",\"Name\":\"/b\"}";
	static const char hc[] =
		"{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}}";
	static const char store[] =
		"[{\"id\":\"" ID "\",\"names\":[\"web\"],\"metadata\":\"{}\"},"
		"{\"id\":\"aa" ID "\",\"names\":[]}]";

	sbuf_init(&big);
	sbuf_puts(&big, "{\"ID\":\"" ID "\",\"Config\":{\"Labels\":{");
	for (int i = 0; i < 300; i++)
		sbuf_printf(&big, "\"l%d\":\"%0100d\",", i, i);
	sbuf_puts(&big, "\"Name\":\"/kube-apiserver\",\"IPAddress\":\"172.17.0.3\"}},"
		  "\"State\":{\"Running\":true},\"NetworkSettings\":{\"Networks\":{\"bridge\":"
		  "{\"IPAddress\":\"172.17.0.9\"}}},\"Name\":\"/web\"}");
	CHECK(big.len > 28000, "300 labels make a big file");
	CHECK(runtime_docker_parse(big.buf, big.len, &m) == 0, "big config parses");
	CHECK_STR(m.name, "web");
	CHECK(m.running == 1, "State.Running");
	CHECK(m.nips == 1, "one address");
	CHECK_STR(m.ips[0], "172.17.0.9");
	CHECK(runtime_docker_parse(dup, strlen(dup), &m) == -EINVAL, "duplicate keys refused");
	CHECK(runtime_docker_parse("[]", 2, &m) == -EINVAL, "not an object");
	CHECK(runtime_docker_parse("{\"Name\":\"/a", 12, &m) == -EINVAL, "cut JSON refused");
	sbuf_free(&big);
	CHECK(runtime_docker_binds_port(hc, strlen(hc), 8080, "tcp") == 1, "host port bound");
	CHECK(runtime_docker_binds_port(hc, strlen(hc), 8080, "udp") == 0, "other proto");
	CHECK(runtime_docker_binds_port(hc, strlen(hc), 80, "tcp") == 0, "container port");
	CHECK(runtime_podman_name(store, strlen(store), ID, name, sizeof(name)) == 0, "podman name by id");
	CHECK_STR(name, "web");
	CHECK(runtime_podman_name(store, strlen(store), "aa" ID, name, sizeof(name)) == -ENOENT,
	      "podman entry without names");
	CHECK(runtime_podman_id(store, strlen(store), "web", id, sizeof(id)) == 0, "podman id by name");
	CHECK_STR(id, ID);
	CHECK(runtime_podman_name("{}", 2, ID, name, sizeof(name)) == -EINVAL, "podman store not an array");
}

/*
 * The watcher names a cgroup the moment it appears and keeps the name after
 * it is gone.  A plain folder stands in for the cgroup-v2 root (its inode
 * numbers are the "cgroup ids"); the real thing runs in the kernel tests.
 */
static void watcher_case(void)
{
	char root[] = "/tmp/bw-cgroot-XXXXXX", data[] = "/tmp/bw-data-XXXXXX", path[512];
	const struct container_info *ci;
	struct container_cache *c;
	struct stat st;
	FILE *f;

	if (!mkdtemp(root) || !mkdtemp(data)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "mkdir -p %s/var/lib/containers/storage/overlay-containers",
		 data);
	CHECK(system(path) == 0, "fixture folders");
	snprintf(path, sizeof(path),
		 "%s/var/lib/containers/storage/overlay-containers/containers.json", data);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "[{\"id\":\"" ID "\",\"names\":[\"short-lived\"]}]");
		fclose(f);
	}
	c = container_cache__new(root, data);
	CHECK(c && container_cache__by_id(c, 1) == NULL, "an unknown id");
	CHECK(c && container_cache__watching(c), "the watcher did not start");
	snprintf(path, sizeof(path), "%s/libpod_parent", root);
	mkdir(path, 0755);
	usleep(100000);	/* the parent is watched once seen */
	snprintf(path, sizeof(path), "%s/libpod_parent/libpod-" ID, root);
	mkdir(path, 0755);
	CHECK(stat(path, &st) == 0, "stat");
	for (int i = 0; i < 100; i++) {	/* the watcher is another thread */
		usleep(10000);
		if (c && (ci = container_cache__by_id(c, st.st_ino)) && ci->name[0])
			break;
	}
	rmdir(path);	/* the container is gone: its name is not */
	ci = c ? container_cache__by_id(c, st.st_ino) : NULL;
	CHECK(ci != NULL, "the cgroup's identity did not outlive it");
	if (ci) {
		CHECK_STR(ci->runtime, "podman");
		CHECK_STR(ci->id, ID);
		CHECK_STR(ci->name, "short-lived");
		CHECK_STR(ci->cgroup, "/libpod_parent/libpod-" ID);
	}
	container_cache__free(c);
	snprintf(path, sizeof(path), "rm -rf %s %s", root, data);
	CHECK(system(path) == 0, "cleanup");
}

int main(void)
{
	static const struct {
		const char *path, *runtime, *id, *pod_uid, *qos, *unit;
	} cases[] = {
		/* Docker, systemd cgroup driver */
		{ "/system.slice/docker-" ID ".scope", "docker", ID, "", "", "" },
		/* Docker, cgroupfs driver */
		{ "/docker/" ID, "docker", ID, "", "", "" },
		/* containerd CRI, systemd driver, burstable pod */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		  "0f7c5d2e_9a8b_4c3d_8e7f_6a5b4c3d2e1f.slice/cri-containerd-" ID ".scope",
		  "containerd", ID, "0f7c5d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f", "burstable", "" },
		/* CRI-O, besteffort pod */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		  "11111111_2222_3333_4444_555555555555.slice/crio-" ID ".scope",
		  "cri-o", ID, "11111111-2222-3333-4444-555555555555", "besteffort", "" },
		/* guaranteed pod: no QoS slice */
		{ "/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/"
		  "cri-containerd-" ID ".scope",
		  "containerd", ID, "11111111-2222-3333-4444-555555555555", "guaranteed", "" },
		/* kubelet with the cgroupfs driver */
		{ "/kubepods/burstable/pod0f7c5d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f/" ID,
		  "cri", ID, "0f7c5d2e-9a8b-4c3d-8e7f-6a5b4c3d2e1f", "burstable", "" },
		/* Podman, cgroupfs manager (what podman 4.3 makes here) */
		{ "/libpod_parent/libpod-" ID, "podman", ID, "", "", "" },
		/* Podman, rootful and rootless, systemd manager (shaped) */
		{ "/machine.slice/libpod-" ID ".scope", "podman", ID, "", "", "" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
		  "podman", ID, "", "", "user@1000.service" },
		/* systemd units */
		{ "/system.slice/nginx.service", "systemd", "", "", "", "nginx.service" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
		  "systemd", "", "", "", "foo.service" },
		{ "/user.slice/user-1000.slice/session-3.scope", "systemd", "", "", "", "session-3.scope" },
		/* nothing to say */
		{ "/", "", "", "", "", "" },
		{ "/docker/not-an-id", "", "", "", "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct container_info ci;

		container_parse_path(cases[i].path, &ci);
		CHECK_STR(ci.runtime, cases[i].runtime);
		CHECK_STR(ci.id, cases[i].id);
		CHECK_STR(ci.pod_uid, cases[i].pod_uid);
		CHECK_STR(ci.qos, cases[i].qos);
		CHECK_STR(ci.unit, cases[i].unit);
	}
	json_cases();
	watcher_case();
	return tap_done("test_container");
}
