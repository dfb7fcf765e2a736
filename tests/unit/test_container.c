/* Runtime layouts recognised from real cgroup-v2 path shapes. */
#include "container.h"
#include "tap.h"

#define ID "3f2a9b1c0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

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
		/* Podman, rootful and rootless */
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
	return tap_done("test_container");
}
