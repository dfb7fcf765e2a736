#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "snapshot.h"

#define TCP_LISTEN_STATE 10

__u32 netns_inode_of_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (__u32)st.st_ino;
}

static int push(struct snapshot *s, const struct snap_sock *ss)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct snap_sock *n = realloc(s->socks, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->socks = n;
		s->cap = cap;
	}
	s->socks[s->n++] = *ss;
	return 0;
}

/* One sock_diag dump (family x protocol) on a netlink socket of one netns. */
static int dump(struct snapshot *s, int nl, __u8 family, __u8 proto,
		__u32 states, __u32 netns, __u16 port)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[32768];
	int err = 0, done = 0;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = proto;
	req.r.idiag_states = states;
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	while (!done) {
		ssize_t n = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct snap_sock ss;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				/* no diag module for this protocol: nothing to list, but
				 * the caller must say so */
				if (e->error == -ENOENT) {
					s->diag_missing = 1;
					return 0;
				}
				return e->error;
			}
			if (ntohs(m->id.idiag_sport) == 0)
				continue;
			if (port && ntohs(m->id.idiag_sport) != port)
				continue;
			memset(&ss, 0, sizeof(ss));
			ss.h.family = m->idiag_family;
			ss.h.proto = proto;
			ss.h.port = ntohs(m->id.idiag_sport);
			ss.h.uid = m->idiag_uid;
			ss.h.inode = m->idiag_inode;
			ss.h.netns = netns;
			ss.h.listening = m->idiag_state == TCP_LISTEN_STATE && proto == IPPROTO_TCP;
			memcpy(ss.h.addr, m->id.idiag_src, family == AF_INET6 ? 16 : 4);
			ss.cookie = (__u64)m->id.idiag_cookie[0] |
				    ((__u64)m->id.idiag_cookie[1] << 32);
			ss.h.cookie = ss.cookie;
			err = push(s, &ss);
			if (err)
				return err;
		}
	}
	return 0;
}

/* All dumps of one netns.  Enters it only for the netlink socket's creation:
 * a netlink socket belongs to the netns it was created in. */
static int take_one(struct snapshot *s, int netns_fd, int self_fd, __u16 port)
{
	static const struct { __u8 family, proto; __u32 states; } q[] = {
		{ AF_INET, IPPROTO_TCP, 1u << TCP_LISTEN_STATE },
		{ AF_INET6, IPPROTO_TCP, 1u << TCP_LISTEN_STATE },
		{ AF_INET, IPPROTO_UDP, ~0u },
		{ AF_INET6, IPPROTO_UDP, ~0u },
	};
	__u32 netns = netns_inode_of_fd(netns_fd);
	int nl, err = 0;
	size_t i;

	if (setns(netns_fd, CLONE_NEWNET))
		return -errno;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	err = nl < 0 ? -errno : 0;
	if (setns(self_fd, CLONE_NEWNET) && !err)
		err = -errno;
	if (err)
		goto cleanup;
	for (i = 0; i < sizeof(q) / sizeof(q[0]) && !err; i++)
		err = dump(s, nl, q[i].family, q[i].proto, q[i].states, netns, port);
cleanup:
	if (nl >= 0)
		close(nl);
	return err;
}

struct inode_ix {
	__u64 inode;
	size_t ix;
};

static int cmp_inode(const void *a, const void *b)
{
	const struct inode_ix *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static int is_pid(const char *name)
{
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return 0;
	return 1;
}

/*
 * comm as the kernel keeps it: up to 15 bytes, which may include '\n' or any
 * byte (prctl(PR_SET_NAME) takes anything); only the kernel's own trailing
 * newline is dropped.
 */
static void read_comm(const char *path, char comm[BW_COMM_LEN])
{
	char buf[BW_COMM_LEN + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	memset(comm, 0, BW_COMM_LEN);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		n--;
	memcpy(comm, buf, (size_t)n < BW_COMM_LEN - 1 ? (size_t)n : BW_COMM_LEN - 1);
}

/* One more process holding h's socket (once per process). */
static void owner_add(struct bw_holder *h, __u32 pid, const char *comm, const char *exe)
{
	for (int i = 0; i < h->nowners; i++)
		if (h->owners[i].pid == pid)
			return;
	if (!h->pid) {
		h->pid = pid;
		memcpy(h->comm, comm, sizeof(h->comm));
		memcpy(h->exe, exe, sizeof(h->exe));
	}
	if (h->nowners == BW_MAX_OWNERS) {
		h->more_owners = 1;
		return;
	}
	h->owners[h->nowners].pid = pid;
	memcpy(h->owners[h->nowners].comm, comm, sizeof(h->owners[0].comm));
	h->nowners++;
}

/* Map socket inodes to the processes holding them, as ss -p and lsof do. */
static int resolve_owners(struct snapshot *s)
{
	struct inode_ix *ix;
	struct dirent *p, *f;
	DIR *proc, *fds;
	size_t i;

	if (!s->n)
		return 0;
	ix = malloc(s->n * sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		ix[i].inode = s->socks[i].h.inode;
		ix[i].ix = i;
	}
	qsort(ix, s->n, sizeof(*ix), cmp_inode);
	proc = opendir("/proc");
	if (!proc) {
		free(ix);
		return -errno;
	}
	while ((p = readdir(proc))) {
		char path[300], link[64];
		int dfd;

		if (!is_pid(p->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		fds = fdopendir(dfd);
		if (!fds) {
			close(dfd);
			continue;
		}
		/* comm and exe once per process, however many sockets it holds */
		char comm[BW_COMM_LEN] = "", exe[BW_PATH_MAX] = "";
		int have_names = 0;
		__u32 pid = (__u32)atoi(p->d_name);

		while ((f = readdir(fds))) {
			struct inode_ix key, *hit;
			ssize_t n = readlinkat(dfd, f->d_name, link, sizeof(link) - 1);
			unsigned long long ino;

			if (n <= 8)
				continue;
			link[n] = 0;
			if (strncmp(link, "socket:[", 8) || sscanf(link + 8, "%llu", &ino) != 1)
				continue;
			key.inode = ino;
			hit = bsearch(&key, ix, s->n, sizeof(*ix), cmp_inode);
			if (!hit)
				continue;
			while (hit > ix && hit[-1].inode == ino)
				hit--;
			if (!have_names) {
				char cpath[300];

				snprintf(cpath, sizeof(cpath), "/proc/%s/comm", p->d_name);
				read_comm(cpath, comm);
				snprintf(cpath, sizeof(cpath), "/proc/%s/exe", p->d_name);
				n = readlink(cpath, exe, sizeof(exe));
				/* never a cut path: none rather than a wrong one */
				exe[n > 0 && (size_t)n < sizeof(exe) ? n : 0] = 0;
				have_names = 1;
			}
			/* a socket shared by fd passing or fork: every process, as ss -p */
			for (; hit < ix + s->n && hit->inode == ino; hit++)
				owner_add(&s->socks[hit->ix].h, pid, comm, exe);
		}
		closedir(fds);
	}
	closedir(proc);
	free(ix);
	return 0;
}

/*
 * Every path to a netns: /run/netns names first, then /proc/PID/ns/net.
 * fn(path, inode, ctx) returns 0 to go on; anything else ends the walk and
 * is returned (a namespace seen through many processes is offered each time).
 */
static int walk_netns(int (*fn)(const char *path, __u32 inode, void *ctx), void *ctx)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	int ret = 0;

	for (int d = 0; d < 2 && !ret; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (!dir)
			continue;
		while (!ret && (e = readdir(dir))) {
			char path[300];
			struct stat st;

			if (e->d_name[0] == '.' || (d == 1 && !is_pid(e->d_name)))
				continue;
			snprintf(path, sizeof(path), d ? "/proc/%s/ns/net" : "/run/netns/%s",
				 e->d_name);
			if (!stat(path, &st))
				ret = fn(path, (__u32)st.st_ino, ctx);
		}
		closedir(dir);
	}
	return ret;
}

struct take_all {
	struct snapshot *s;
	int self_fd;
	__u16 port;
	__u32 *seen;		/* inodes already taken */
	size_t nseen, cap;
};

static int take_unseen(const char *path, __u32 inode, void *ctx)
{
	struct take_all *t = ctx;
	size_t i;
	int fd, err;

	for (i = 0; i < t->nseen && t->seen[i] != inode; i++)
		;
	if (i < t->nseen)
		return 0;
	if (t->nseen == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		__u32 *n = realloc(t->seen, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->seen = n;
		t->cap = cap;
	}
	t->seen[t->nseen++] = inode;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* the process went away */
	err = take_one(t->s, fd, t->self_fd, t->port);
	close(fd);
	return err;
}

/* Every netns on the host once. */
static int for_each_netns(struct snapshot *s, int self_fd, __u16 port)
{
	struct take_all t = { s, self_fd, port, NULL, 0, 0 };
	int err = walk_netns(take_unseen, &t);

	free(t.seen);
	return err;
}

int snapshot__take(struct snapshot *s, int netns_fd, __u16 port, int owners)
{
	int self_fd, err;

	memset(s, 0, sizeof(*s));
	self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0)
		return -errno;
	s->self_netns = netns_inode_of_fd(self_fd);
	if (netns_fd >= 0)
		err = take_one(s, netns_fd, self_fd, port);
	else
		err = for_each_netns(s, self_fd, port);
	if (!err && owners)
		err = resolve_owners(s);
	close(self_fd);
	if (err)
		snapshot__free(s);
	return err;
}

void snapshot__free(struct snapshot *s)
{
	free(s->socks);
	s->socks = NULL;
	s->n = s->cap = 0;
}

struct open_inode {
	__u32 inode;
	int fd;
};

static int open_if_inode(const char *path, __u32 inode, void *ctx)
{
	struct open_inode *o = ctx;

	if (inode != o->inode)
		return 0;
	o->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0)
		o->fd = -errno;
	return 1;
}

int netns_open_by_inode(__u32 inode)
{
	struct open_inode o = { inode, -ENOENT };

	walk_netns(open_if_inode, &o);
	return o.fd;
}

void netns_name(__u32 inode, __u32 self, char *buf, size_t len)
{
	DIR *dir;
	struct dirent *e;

	buf[0] = 0;
	if (inode == self) {
		snprintf(buf, len, "host");
		return;
	}
	dir = opendir("/run/netns");
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char path[300];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (!stat(path, &st) && (__u32)st.st_ino == inode) {
			snprintf(buf, len, "%s", e->d_name);
			break;
		}
	}
	closedir(dir);
}
