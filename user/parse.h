/* The one strict number parser, for argv and data files alike. */
#ifndef BW_PARSE_H
#define BW_PARSE_H

/*
 * Parse all of s as a decimal unsigned integer in [min, max].
 * Returns 0 and sets *out, or -EINVAL (not a number, junk after it) or
 * -ERANGE (outside [min, max]).  Leading '+', '-' and spaces are refused.
 */
int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *out);

/* A port, 1..65535 ("0" refused unless allow_zero). */
int parse_port(const char *s, int allow_zero, unsigned short *out);

#endif
