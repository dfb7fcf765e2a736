/* A kernel event as the agent reports it: decoded, with what user space adds. */
#ifndef BW_RECORD_H
#define BW_RECORD_H

#include <linux/types.h>
#include "bindwatch.h"
#include "container.h"
#include "severity.h"

#define BW_MAX_HOLDERS	8
#define BW_MAX_FLAGS	4
#define BW_MAX_OWNERS	4
/* Executable paths are kept whole: /proc/PID/exe cannot be longer. */
#define BW_PATH_MAX	4096

/* A process, as a holder's owner or binder. */
struct bw_proc {
	__u32 pid;		/* 0: none */
	__u8 exited;		/* gone when it was looked at */
	char comm[BW_COMM_LEN];
};

/* One socket that conflicts with a failed bind or listen. */
struct bw_holder {
	__u64 cookie;		/* 0 when known only from the kernel's tables */
	__u64 inode;		/* socket inode, 0 if unknown */
	__u64 since_ns;		/* wall clock, 0 if unknown */
	__u32 pid;		/* 0 if not resolved to a process */
	__u32 uid;
	__u32 netns;
	__u16 port;
	__u16 family;
	__u8 proto;
	__u8 listening;
	__u8 addr[16];
	char comm[BW_COMM_LEN];
	char exe[BW_PATH_MAX];
	struct container_info container;	/* runtime "" when none */
	/*
	 * pid/comm above are the socket's owner now: owners[0].  owners lists
	 * every process holding it (fd passing, fork), as ss -p does; more_owners
	 * when they did not all fit.  bound_by is the process that bound it
	 * when that one no longer holds it (pid 0 otherwise).  exited: no live
	 * owner was found, pid/comm are the binder and it is gone.
	 */
	struct bw_proc owners[BW_MAX_OWNERS];
	__u8 nowners;
	__u8 more_owners;
	__u8 exited;
	struct bw_proc bound_by;
};

/* What a flag is about; names (the NDJSON "kind") in flag.c's one table. */
enum bw_flag_kind {
	BW_FLAG_COLLISION,		/* a failed bind or listen and its holders */
	BW_FLAG_CLAIM,			/* the port is known for another service */
	BW_FLAG_EPHEMERAL_STEAL,	/* an outbound connection took a claimed port */
	BW_FLAG_REUSEPORT_SHARED,	/* SO_REUSEPORT group joined */
	BW_FLAG_DUALSTACK,		/* v4 and v6 sockets on one port */
	BW_FLAG_EPHEMERAL,		/* a service inside the ephemeral range */
};
#define BW_FLAG_KIND_COUNT (BW_FLAG_EPHEMERAL + 1)

struct bw_flag {
	enum bw_flag_kind kind;
	enum bw_severity severity;
	char service[64];	/* may be empty */
	char message[512];
};

/*
 * What the port guard adds to a record (user/guard.c); action 0: not a guard
 * record but the watch's.  A guard record goes to every sink like any other
 * record and is rendered as "event":"guard".
 */
#define BW_GUARD_ACT_DENY	1	/* refused: the caller got EPERM (= BW_GUARD_DENY) */
#define BW_GUARD_ACT_AUDIT	2	/* --audit: would have been refused (= BW_GUARD_AUDIT) */
#define BW_GUARD_ACT_HELD	3	/* at start: the current holder breaks a rule */
struct bw_guard_info {
	int action;		/* BW_GUARD_ACT_*, 0: not a guard record */
	int post_bind;		/* judged the kernel's choice for a bind to port 0 */
	char rule[300];		/* "FILE:LINE" of the rule */
	char kept_for[1025];	/* who the rule allows: "cgroup:/a,uid:0"
				 * (POLICY_ALLOW_LEN: never cut) */
};

struct bw_record {
	struct bw_event ev;
	__u64 ts_real_ns;	/* wall clock, from ev.ts_ns */
	int err;		/* positive errno, 0 on success */
	int err_inferred;	/* err deduced, not returned by the kernel */
	int err_guard;		/* err is EPERM from the port guard: a policy
				 * refused the bind (errno_source "guard") */
	int undecided;		/* outcome unknown: its answer may have been
				 * among events the kernel dropped (err 0) */
	char exe[BW_PATH_MAX];	/* full path, or the kernel's basename, or "" */
	int nholders;
	struct bw_holder holders[BW_MAX_HOLDERS];
	int nflags;
	struct bw_flag flags[BW_MAX_FLAGS];
	struct container_info container;	/* runtime "" when none */
	char netns_name[64];	/* "host", a /run/netns name, or "" */
	struct bw_guard_info guard;	/* action 0 unless a guard record */
};

/* Names for the numbers in an event; never NULL. */
const char *kind_name(__u8 kind);
const char *proto_name(__u8 proto);
const char *family_name(__u16 family);
/* "EADDRINUSE" etc.; unknown numbers give "E<number>" in buf. */
const char *errno_name(int err, char *buf, unsigned long len);
/* inet_ntop of a family's address; always NUL-terminated. */
void addr_str(__u16 family, const __u8 addr[16], char *buf, unsigned long len);

/*
 * "comm[pid]" for messages, the comm (untrusted, maybe unterminated) cut to
 * BW_COMM_LEN and its control characters made '?': messages reach terminals.
 */
void format_who(const char *comm, __u32 pid, char *buf, unsigned long len);

/* The option names of opts, in bit order, for JSON and text. */
extern const char *const bw_opt_names[6];

#endif
