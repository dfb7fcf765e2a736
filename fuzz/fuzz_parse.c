/*
 * libFuzzer: the strict number parsers (user/parse.c) and the other small
 * parsers of untrusted text: the log anchor (--anchor and the state file)
 * and the sealed-record shape check.  The input is split at NUL bytes; each
 * piece goes through every parser, and a parsed number is checked against
 * its range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "logchain.h"
#include "logread.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *piece, *end;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	end = s + size;
	for (piece = s; piece <= end; piece += strlen(piece) + 1) {
		unsigned long v;
		unsigned short port;
		struct log_anchor a;
		struct chain c = { .seq = 0 };

		if (!parse_uint(piece, 10, 65535, &v) && (v < 10 || v > 65535))
			abort();
		if (!parse_uint(piece, 0, ~0ul, &v) &&
		    (strspn(piece, "0123456789") != strlen(piece) || strtoul(piece, NULL, 10) != v))
			abort();	/* accepted: only digits, and their value */
		if (!parse_port(piece, 0, &port) && port == 0)
			abort();
		parse_port(piece, 1, &port);
		log_anchor_parse(piece, &a);
		log_anchor_parse_state(piece, &a);
		if (chain_looks_sealed(piece, strlen(piece)))
			chain_check(&c, piece, strlen(piece), 1);
	}
	free(s);
	return 0;
}
