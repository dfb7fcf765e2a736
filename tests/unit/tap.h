/* Table-driven unit tests: CHECK records, the runner prints the closing line. */
#ifndef BW_TAP_H
#define BW_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_pass, tap_fail;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			tap_pass++;					\
		} else {						\
			tap_fail++;					\
			printf("FAIL %s:%d: ", __FILE__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	CHECK(!strcmp((got), (want)), "got '%s', want '%s'", (got), (want))

static inline int tap_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, tap_pass, tap_fail);
	return tap_fail ? 1 : 0;
}

#endif
