/* The port-claim registry: which service each port is known for (IANA
 * assignments, de facto defaults, site policy).  Format: registry/README.md. */
#ifndef BW_REGISTRY_H
#define BW_REGISTRY_H

#include <stddef.h>
#include <linux/types.h>
#include "sbuf.h"
#include "severity.h"

enum claim_kind { CLAIM_IANA, CLAIM_DEFACTO, CLAIM_SITE };
#define CLAIM_KIND_COUNT (CLAIM_SITE + 1)

#define PROTO_TCP	(1u << 0)
#define PROTO_UDP	(1u << 1)
#define PROTO_SCTP	(1u << 2)
#define PROTO_DCCP	(1u << 3)

struct claim {
	__u16 lo, hi;		/* port range, inclusive */
	__u8 protos;		/* PROTO_* bits */
	__u8 kind;		/* enum claim_kind */
	__u8 severity;		/* enum bw_severity */
	const char *name;
	const char *holders;	/* comma-separated globs on comm or exe; "" = none */
	const char *desc;
	const char *source;	/* "" when none */
	const char *file;
	int line;
};

struct registry;

struct registry *registry__new(void);
void registry__free(struct registry *r);	/* accepts NULL */

/*
 * Parse text (len bytes) named file, as default kind (a "@kind" line
 * changes it; "#@file NAME" lines rename the file, as in the embedded
 * registry).  On the first error returns -EINVAL and writes
 * "FILE:LINE: what is wrong" into err; nothing of that text is kept then.
 */
int registry__add_text(struct registry *r, const char *file, const char *text, size_t len,
		       enum claim_kind kind, char *err, size_t errlen);
/* The same for a file on disk (errors also for unreadable files). */
int registry__add_file(struct registry *r, const char *path, enum claim_kind kind,
		       char *err, size_t errlen);
/* The claims built into the binary. */
int registry__add_embedded(struct registry *r, char *err, size_t errlen);
/* Every /etc/bindwatch/registry.d/ *.conf (dir may be absent), as site claims. */
int registry__add_dir(struct registry *r, const char *dir, char *err, size_t errlen);

/* Build the lookup index; call once after the last add.  0 or -ENOMEM. */
int registry__finish(struct registry *r);

/*
 * Claims on port for proto (PROTO_* bits, 0 = any), strongest layer first
 * (site, de facto, IANA), at most max.  O(log n).  Returns the count.
 */
size_t registry__lookup(const struct registry *r, __u16 port, __u8 proto,
			const struct claim **out, size_t max);

size_t registry__count(const struct registry *r);
const struct claim *registry__at(const struct registry *r, size_t i);

/*
 * Does the process match one of the claim's holders?  A holder is a glob on
 * comm or exe (full path or basename), or INTERPRETER@PROGRAM: the
 * interpreter glob on comm or exe and the program glob on what it runs:
 * the module of "-m MODULE", else the basename of the first word after the
 * interpreter's options (the script).  cmdline is /proc/PID/cmdline (words
 * NUL-separated, may be NULL): without it an @ holder never matches.
 */
int claim_holder_matches_cmdline(const struct claim *c, const char *comm, const char *exe,
				 const char *cmdline, size_t cmdline_len);
/* The same without a command line. */
int claim_holder_matches(const struct claim *c, const char *comm, const char *exe);
/* Does the claim have an INTERPRETER@PROGRAM holder (the caller then reads cmdline)? */
int claim_wants_cmdline(const struct claim *c);
/* The program an interpreter's cmdline runs, into out: 0 or -ENOENT. */
int claim_program_of(const char *cmdline, size_t len, char *out, size_t out_len);

/* Protocols, from one table: "tcp" -> PROTO_TCP (-1 if unknown), and
 * IPPROTO_TCP -> PROTO_TCP (0 if none). */
int claim_proto_bit(const char *name);
__u8 claim_proto_bit_of(__u8 ipproto);

/* "iana", "defacto", "site" (the @kind names); "unknown" outside the enum. */
const char *claim_kind_name(__u8 kind);
/* The claim kind named name, or -EINVAL. */
int claim_kind_from_name(const char *name);
void claim_protos_str(__u8 protos, char *buf, size_t len);

struct jw;
/* The claim as the next JSON value of w: an object. */
void claim_json(struct jw *w, const struct claim *c);

#endif
