/*
 * libFuzzer target: the runtimes' JSON readers (Docker's config.v2.json and
 * hostconfig.json, Podman's containers.json) on arbitrary bytes.  Build:
 * clang -g -fsanitize=fuzzer,address -Iinclude -Iuser -D_GNU_SOURCE \
 *   fuzz/fuzz_runtime_json.c user/runtime_json.c -ljansson
 * Seeds: fuzz/corpus/runtime_json/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "runtime_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct docker_meta m;
	char out[300];

	if (!runtime_docker_parse(buf, size, &m)) {
		/* what is kept is always a terminated string that fits */
		if (strnlen(m.name, sizeof(m.name)) == sizeof(m.name) ||
		    strnlen(m.id, sizeof(m.id)) == sizeof(m.id) || m.nips < 0 ||
		    m.nips > DOCKER_MAX_IPS)
			__builtin_trap();
		for (int i = 0; i < m.nips; i++)
			if (strnlen(m.ips[i], sizeof(m.ips[i])) == sizeof(m.ips[i]))
				__builtin_trap();
	}
	runtime_docker_binds_port(buf, size, 8080, "tcp");
	if (!runtime_podman_name(buf, size, "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef",
				 out, sizeof(out)) && strnlen(out, sizeof(out)) == sizeof(out))
		__builtin_trap();
	if (!runtime_podman_id(buf, size, "web", out, 80) && strnlen(out, 80) == 80)
		__builtin_trap();
	return 0;
}
