/* Registry reading limits (issue 12, item 11's registry parts): a file over
 * the size limit is refused by name, never cut; "#@file" lines are checked
 * like any line and cost linear time. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "registry.h"
#include "tap.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int add(const char *text, char *err, size_t n)
{
	struct registry *r = registry__new();
	int ret = registry__add_text(r, "t.conf", text, strlen(text), CLAIM_SITE, err, n);

	registry__free(r);
	return ret;
}

/* 64 MiB of comments, then a bad line: read whole, so the bad line is seen */
static void t_over_limit(void)
{
	char path[] = "/tmp/bw-ut-reg-XXXXXX", err[512] = "";
	static char chunk[1 << 16];
	struct registry *r = registry__new();
	int fd = mkstemp(path), ret;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	memset(chunk, '#', sizeof(chunk));
	for (size_t i = 63; i < sizeof(chunk); i += 64)
		chunk[i] = '\n';
	for (int i = 0; f && i < (64 << 20) / (int)sizeof(chunk); i++)
		fwrite(chunk, 1, sizeof(chunk), f);
	if (f) {
		fputs("this is not a claim\n", f);
		fclose(f);
	}
	ret = registry__add_file(r, path, CLAIM_SITE, err, sizeof(err));
	CHECK(ret == -EFBIG, "a registry file over 64 MiB: %d (%s)", ret, err);
	CHECK(strstr(err, path) && strstr(err, "64 MiB"), "not refused by name: %s", err);
	registry__free(r);
	unlink(path);
}

static void t_file_directive_checked(void)
{
	char err[512] = "";

	CHECK(add("#@file a\033]0;owned\007.conf\nx 1/tcp info - X\n", err, sizeof(err)) == -EINVAL,
	      "an escape in a #@file name is accepted");
	CHECK(strstr(err, "binary data") && !strchr(err, 033), "message: %s", err);
	CHECK(add("#@file a.conf\nx 1/tcp info - X\n#@file b.conf\nx 1/tcp info - X\n", err,
		  sizeof(err)) == 0, "the same claim in two files: %s", err);
	CHECK(add("#@file a.conf\nx 1/tcp info - X\ny 2/tcp info - Y\n#@file b.conf\ny 2/tcp info - Y\n"
		  "x 1/tcp info - X\ny 2/tcp info - Y\n", err, sizeof(err)) == -EINVAL,
	      "a duplicate after a #@file reset is missed");
	CHECK(strstr(err, "b.conf:3: duplicate claim 'y'") != NULL, "message: %s", err);
}

/* many files in one text: linear, not a table wipe per file */
static void t_file_directive_linear(void)
{
	const int n = 20000;
	char *text = malloc((size_t)n * 40), *p = text, err[512] = "";
	double t0;
	int ret;

	for (int i = 0; i < n; i++)
		p += sprintf(p, "#@file f%d.conf\nsvc%d %d/tcp info - X\n", i, i % 7, 1 + i % 9);
	t0 = now_s();
	ret = add(text, err, sizeof(err));
	t0 = now_s() - t0;
	CHECK(ret == 0, "parse: %s", err);
	CHECK(t0 < 1.0, "%d #@file lines took %.2f s", n, t0);
	free(text);
}

int main(void)
{
	t_over_limit();
	t_file_directive_checked();
	t_file_directive_linear();
	return tap_done("log_registry");
}
