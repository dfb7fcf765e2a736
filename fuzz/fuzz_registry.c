/* libFuzzer: the registry parser (registry__add_text, then the index and a
 * lookup), on text as an operator's registry.d file could hold it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry *r = registry__new();
	const struct claim *out[8];
	char err[512];

	if (!r)
		return 0;
	if (!registry__add_text(r, "fuzz.conf", (const char *)data, size, CLAIM_SITE, err,
				sizeof(err)) &&
	    !registry__finish(r)) {
		for (unsigned int port = 0; port < 65536; port += 4099)
			registry__lookup(r, (__u16)port, PROTO_TCP, out, 8);
		for (size_t i = 0; i < registry__count(r); i++)
			claim_holder_matches(registry__at(r, i), "sshd", "/usr/sbin/sshd");
	}
	registry__free(r);
	return 0;
}
