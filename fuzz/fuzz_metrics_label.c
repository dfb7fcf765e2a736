/*
 * The Prometheus label escaper (user/metrics.c) takes names from site
 * registry files and the kernel: whatever goes in, what comes out must be a
 * valid label value: valid UTF-8, no raw newline, every quote and backslash
 * escaped, no code point a terminal acts on (C1, bidi controls, U+2028/9).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "sbuf.h"

static void check(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' || s[i] < 0x20 || s[i] == 0x7f)
			abort();		/* raw control byte */
		if (s[i] == '"')
			abort();		/* a quote outside an escape */
		if (s[i] == '\\') {
			if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n'))
				abort();	/* a backslash that escapes nothing */
			i++;
			continue;
		}
		if (s[i] >= 0x80) {	/* a whole, valid UTF-8 sequence */
			size_t len = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
			unsigned int cp;

			if (s[i] < 0xc2 || s[i] > 0xf4 || i + len > n)
				abort();
			for (size_t k = 1; k < len; k++)
				if ((s[i + k] & 0xc0) != 0x80)
					abort();
			cp = s[i] & (0x7f >> len);
			for (size_t k = 1; k < len; k++)
				cp = cp << 6 | (s[i + k] & 0x3f);
			if (sbuf_cp_is_dangerous(cp))
				abort();	/* a terminal control let through */
			i += len - 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf sb;

	sbuf_init(&sb);
	metrics_label_value(&sb, (const char *)data, size);
	if (sb.buf)
		check((const unsigned char *)sb.buf, sb.len);
	sbuf_free(&sb);
	return 0;
}
