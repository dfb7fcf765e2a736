/* libFuzzer: the guard's policy parser (policy__parse, then lookups), on text
 * as an operator's policy file could hold it. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	char err[512];

	if (policy__parse("fuzz.conf", (const char *)data, size, &p, err, sizeof(err)))
		return 0;
	for (unsigned int port = 0; port < 65536; port += 4099) {
		policy__find(p, IPPROTO_TCP, (__u16)port);
		policy__find(p, IPPROTO_UDP, (__u16)port);
	}
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->rules[i].allow) >= sizeof(p->rules[i].allow))
			abort();
	policy__free(p);
	return 0;
}
