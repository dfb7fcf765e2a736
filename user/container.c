/* The identity cache: cgroup id -> container, filled by an inotify watcher
 * the moment a container cgroup appears and kept after it is gone, so a
 * container that died of its own failed bind is still named.  Parsing a path
 * is container_info.c; reading the runtimes' files is runtime_files.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "container.h"
#include "log.h"
#include "runtime_files.h"

#define CACHE_SLOTS 1024	/* cgroup ids are inode numbers: direct-mapped */
#define WATCH_MAX 512		/* inotify watches on cgroup parents */
#define WATCH_DEPTH 3		/* parents down to /kubepods/burstable/pod<uid> */
#define FILEID_KERNFS 0xfe	/* cgroupfs file handles carry the cgroup id */

struct slot {
	__u64 cgid;
	int known;
	struct container_info info;
};

struct watch {
	int wd;
	int depth;
	char rel[256];	/* relative to the cgroup-v2 root, "" for the root */
};

/*
 * The cache is written by the watcher thread (a cgroup appeared) and by the
 * caller (a cgroup the watcher never saw); lock guards slots[] and out.
 */
struct container_cache {
	char root[256];
	char data_root[256];
	int root_fd;
	pthread_mutex_t lock;
	struct slot *slots;
	struct container_info out;	/* what by_id() hands out, a copy */
	/* the watcher: inotify on the runtimes' cgroup parents */
	int watching;		/* 0 not started, 1 running, -1 could not start */
	int ifd, stop_fd;
	pthread_t thread;
	struct watch *watches;
	int nwatches;
	unsigned long watch_refused;	/* parents not watched: WATCH_MAX reached */
	unsigned long overflows;	/* inotify queue overflows, each followed
					 * by a rescan */
};

struct container_cache *container_cache__new(const char *root, const char *data_root)
{
	struct container_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slots = calloc(CACHE_SLOTS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->root, sizeof(c->root), "%s", root);
	snprintf(c->data_root, sizeof(c->data_root), "%s", data_root ? data_root : "");
	c->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->ifd = c->stop_fd = -1;
	return c;
}

void container_cache__free(struct container_cache *c)
{
	if (!c)
		return;
	if (c->watching == 1) {
		__u64 one = 1;

		if (write(c->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(c->thread, NULL);
	}
	if (c->ifd >= 0)
		close(c->ifd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	pthread_mutex_destroy(&c->lock);
	free(c->watches);
	free(c->slots);
	free(c);
}

/* Keep what is known of a cgroup: it outlives the cgroup in the cache. */
static void slot_store(struct container_cache *c, __u64 cgid, const struct container_info *info)
{
	struct slot *s = &c->slots[cgid % CACHE_SLOTS];

	pthread_mutex_lock(&c->lock);
	s->cgid = cgid;
	s->known = 1;
	s->info = *info;
	pthread_mutex_unlock(&c->lock);
}

/* ---- the watcher: a cgroup is named while it exists, the moment it appears */

static void watch_dir(struct container_cache *c, const char *rel, int depth);

/* A cgroup folder seen (at start, or created since): name it, or watch it. */
static void watch_consider(struct container_cache *c, const char *rel, int depth)
{
	struct container_info info;
	char abs[300];
	struct stat st;

	/* the cgroup id is the inode number of its folder in cgroupfs */
	if (fstatat(c->root_fd, rel[0] ? rel : ".", &st, 0) || !S_ISDIR(st.st_mode))
		return;
	snprintf(abs, sizeof(abs), "/%s", rel);	/* as /proc/PID/cgroup shows it */
	container_parse_path(abs, &info);
	if (info.id[0]) {
		runtime_fill_names(c->data_root, &info);
		slot_store(c, (__u64)st.st_ino, &info);
		return;		/* a container's own sub-cgroups add nothing */
	}
	if (depth < WATCH_DEPTH)
		watch_dir(c, rel, depth + 1);
}

/* Consider each subfolder of a watched parent: at start, when it is first
 * watched, and again after the inotify queue overflowed. */
static void scan_dir(struct container_cache *c, const char *rel, int depth)
{
	char sub[256];
	struct dirent *e;
	DIR *d;
	int fd;

	fd = openat(c->root_fd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "",
				     e->d_name) >= sizeof(sub))
			continue;	/* deeper than any runtime's layout */
		watch_consider(c, sub, depth);
	}
	closedir(d);
}

static void watch_dir(struct container_cache *c, const char *rel, int depth)
{
	char abs[600];
	struct watch *w;
	int wd;

	if (c->nwatches == WATCH_MAX) {
		c->watch_refused++;
		return;
	}
	snprintf(abs, sizeof(abs), "%s/%s", c->root, rel);
	wd = inotify_add_watch(c->ifd, abs, IN_CREATE | IN_ONLYDIR);
	if (wd < 0)
		return;
	for (int i = 0; i < c->nwatches; i++)
		if (c->watches[i].wd == wd)
			return;	/* seen twice (scan and event): watched already */
	w = &c->watches[c->nwatches++];
	w->wd = wd;
	w->depth = depth;
	snprintf(w->rel, sizeof(w->rel), "%s", rel);
	/* after the watch: a folder made meanwhile is seen twice, never not at all */
	scan_dir(c, rel, depth);
}

/*
 * The queue overflowed: creations were lost, so every watched parent is read
 * again.  A container cgroup made and removed within the overflow stays
 * unknown (and its events are named through a file handle while it lives);
 * every one that still exists is recorded now, so it is named after it is
 * gone too.  watch_dir() may add watches meanwhile: only the ones there
 * before are rescanned, each new one was scanned when it was added.
 */
static void watch_rescan(struct container_cache *c)
{
	int n = c->nwatches;

	c->overflows++;
	p_info("cgroup watcher: the inotify queue overflowed (%lu times so far); "
	       "rescanning %d cgroup folders", c->overflows, n);
	for (int i = 0; i < n && i < c->nwatches; i++) {
		char rel[sizeof(c->watches[i].rel)];

		memcpy(rel, c->watches[i].rel, sizeof(rel));
		scan_dir(c, rel, c->watches[i].depth);
	}
}

static void watch_events(struct container_cache *c)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(c->ifd, buf, sizeof(buf));

	int overflow = 0;

	for (char *p = buf; n > 0 && p < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)p;

		p += sizeof(*ev) + ev->len;
		if (ev->mask & IN_Q_OVERFLOW) {
			overflow = 1;
			continue;
		}
		if (ev->mask & IN_IGNORED) {	/* the parent went away */
			for (int i = c->nwatches - 1; i >= 0; i--)
				if (c->watches[i].wd == ev->wd)
					c->watches[i] = c->watches[--c->nwatches];
			continue;
		}
		if (!(ev->mask & IN_CREATE) || !(ev->mask & IN_ISDIR) || !ev->len)
			continue;
		for (int i = 0; i < c->nwatches; i++) {
			char sub[256];

			if (c->watches[i].wd != ev->wd)
				continue;
			if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", c->watches[i].rel,
					     c->watches[i].rel[0] ? "/" : "", ev->name) < sizeof(sub))
				watch_consider(c, sub, c->watches[i].depth);
			break;
		}
	}
	if (overflow)
		watch_rescan(c);
}

static void *watch_main(void *arg)
{
	struct container_cache *c = arg;

	for (;;) {
		struct pollfd p[2] = { { c->ifd, POLLIN, 0 }, { c->stop_fd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			watch_events(c);
	}
	return NULL;
}

/* Started at the first lookup: after the agent dropped its privileges,
 * which the thread then shares. */
static void watch_start(struct container_cache *c)
{
	c->watching = -1;
	if (c->root_fd < 0)
		return;
	c->watches = calloc(WATCH_MAX, sizeof(*c->watches));
	c->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!c->watches || c->ifd < 0 || c->stop_fd < 0)
		return;
	watch_dir(c, "", 0);
	if (pthread_create(&c->thread, NULL, watch_main, c))
		return;
	c->watching = 1;
}

/* Name a cgroup id the watcher never saw, through a file handle (it must
 * still exist).  0, or -ENOENT when it cannot be found now. */
static int resolve_by_handle(struct container_cache *c, __u64 cgid, struct container_info *info)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	char link[64], path[768];
	int fd;
	ssize_t n;

	memset(info, 0, sizeof(*info));
	if (c->root_fd < 0)
		return -ENOENT;
	h.fh.handle_bytes = sizeof(__u64);
	h.fh.handle_type = FILEID_KERNFS;
	h.id = cgid;
	fd = open_by_handle_at(c->root_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	path[n] = 0;
	/* relative to the v2 root, as /proc/PID/cgroup shows it */
	if (!strncmp(path, c->root, strlen(c->root)))
		memmove(path, path + strlen(c->root), strlen(path + strlen(c->root)) + 1);
	if (!path[0])
		snprintf(path, sizeof(path), "/");
	container_parse_path(path, info);
	runtime_fill_names(c->data_root, info);
	return 0;
}

const struct container_info *container_cache__by_id(struct container_cache *c, __u64 cgid)
{
	struct container_info info;
	struct slot *s = &c->slots[cgid % CACHE_SLOTS];
	int hit;

	if (!c->watching)
		watch_start(c);
	pthread_mutex_lock(&c->lock);
	hit = s->cgid == cgid && s->known;
	if (hit)
		c->out = s->info;
	pthread_mutex_unlock(&c->lock);
	if (hit)
		return c->out.cgroup[0] ? &c->out : NULL;
	if (resolve_by_handle(c, cgid, &info))
		return NULL;	/* not cached: a cgroup made later may take the id */
	slot_store(c, cgid, &info);
	c->out = info;
	return c->out.cgroup[0] ? &c->out : NULL;
}

int container_cache__watching(const struct container_cache *c)
{
	return c->watching == 1;
}

const char *container_cache__data_root(const struct container_cache *c)
{
	return c->data_root;
}

const struct container_info *container_cache__by_pid(struct container_cache *c, __u32 pid,
						     struct container_info *buf)
{
	char path[64], line[640];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		container_parse_path(line + 3, buf);
		runtime_fill_names(c->data_root, buf);
		found = 1;
		break;
	}
	fclose(f);
	if (found)
		container_cache__reservation(c, pid, NULL, 0, 0, 0, buf);
	return found ? buf : NULL;
}
