#ifndef BW_WHO_H
#define BW_WHO_H

#include "sbuf.h"

struct jw;

/* How who asks the registry about a port, without depending on it. */
struct who_claims {
	void (*json)(struct jw *w, unsigned short port, void *ctx);	/* a JSON array */
	void (*text)(struct sbuf *sb, unsigned short port, void *ctx);	/* lines */
	void *ctx;
};

/* Open a netns given as a /run/netns name, "host" or an inode; fd or -errno. */
int netns_open_arg(const char *arg);

/* bindwatch who ...: 0, 1 (failed), 2 (usage). */
int cmd_who(int argc, char **argv, const struct who_claims *claims);

#endif
