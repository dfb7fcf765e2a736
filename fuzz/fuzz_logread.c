/*
 * libFuzzer: the sealed log's reader and its restart path.  The input is one
 * or two files of a log directory (split at "@@FILE@@\n": a rotated file,
 * then the live one), the first byte choosing:
 *   bit 0  the rotated part is gzip (else plain)
 *   bit 1  HMAC-keyed (else plain SHA-256)
 *   bit 2  first start the writer on it (cut a torn tail, resume the chain,
 *          append, stop), as the daemon does after a crash
 *   bit 3  also run history on port 22
 * then log verify.  Nothing is asserted but the sanitizers': the reader
 * must survive any file, and after a restart verify must not crash either.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "logfile.h"
#include "logread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];

static void clean(void);

static void remove_dir(void)
{
	clean();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: the writer fdatasyncs */
	snprintf(dir, sizeof(dir), "%s/bw-fuzz-log-XXXXXX", access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(dir))
		abort();
	atexit(remove_dir);	/* libFuzzer ends a timed run with exit() */
	log_set_level(-1);	/* the writer's diagnostics: not the fuzzer's business */
	logw_syslog_anchor(0);
	return 0;
}

static void put(const char *name, const uint8_t *p, size_t n, int gz)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gz) {
		gzFile g = gzopen(path, "wb1");

		if (g) {
			if (n)
				gzwrite(g, p, (unsigned)n);
			gzclose(g);
		}
		return;
	}
	f = fopen(path, "wb");
	if (f) {
		if (n)
			fwrite(p, 1, n, f);
		fclose(f);
	}
}

static void clean(void)
{
	static const char *names[] = { "bindwatch.log", "bindwatch-00000000000000000001.log.gz",
				       LOG_ANCHOR_FILE, ".bindwatch-rotate.tmp" };
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[] = "fuzz key";
	static const char sep[] = "@@FILE@@\n";
	const uint8_t *p, *split;
	unsigned int mode;
	size_t n;
	int keyed;

	if (!size)
		return 0;
	mode = data[0];
	p = data + 1;
	n = size - 1;
	keyed = mode & 2;
	clean();
	split = memmem(p, n, sep, sizeof(sep) - 1);
	if (split) {
		put("bindwatch-00000000000000000001.log.gz", p, (size_t)(split - p), mode & 1);
		n -= (size_t)(split - p) + sizeof(sep) - 1;
		p = split + sizeof(sep) - 1;
	}
	put("bindwatch.log", p, n, 0);
	if (mode & 4) {
		struct logw_opts o = { dir, 1000, 2, 0, 10, keyed ? key : NULL,
				       keyed ? sizeof(key) - 1 : 0 };
		struct logw *w = NULL;

		if (!logw__open(&o, &w)) {
			logw__append(w, "{\"event\":\"bind\",\"port\":22,\"requested_port\":22,\"sock\":1}", 57);
			logw__close(w);
		}
	}
	log_verify(dir, keyed ? key : NULL, keyed ? sizeof(key) - 1 : 0, 1);
	if (mode & 8)
		log_history(dir, 22, NULL, NULL, mode & 16);
	return 0;
}
