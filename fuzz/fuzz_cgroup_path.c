/* libFuzzer: cgroup-v2 path parsing (container_parse_path), on any string a
 * cgroup name or /proc/PID/cgroup could hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "json_writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_info info;
	struct sbuf sb;
	struct jw w;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	memset(&info, 0, sizeof(info));
	sbuf_init(&sb);
	jw_init(&w, &sb);
	if (container_parse_path(s, &info))
		container_json(&w, &info);
	sbuf_free(&sb);
	free(s);
	return 0;
}
