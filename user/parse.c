#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include "parse.h"

int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_port(const char *s, int allow_zero, unsigned short *out)
{
	unsigned long v;
	int err = parse_uint(s, allow_zero ? 0 : 1, 65535, &v);

	if (err)
		return err;
	*out = (unsigned short)v;
	return 0;
}
