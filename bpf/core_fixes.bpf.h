/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel-version difference the BPF side depends on, in one place.
 * Each one is resolved by CO-RE at load time against the running kernel's
 * BTF, never by version numbers.
 */
#ifndef BW_CORE_FIXES_BPF_H
#define BW_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * Linux 6.6 (commit 4bd0623f04ee "inet: move inet->freebind to
 * inet->inet_flags", and its siblings for transparent) replaced the inet_sock
 * bit-fields with bits of inet_flags.  The bit numbers below are those of
 * enum { INET_FLAGS_... } since 6.6 (unchanged through 6.18).
 */
struct inet_sock___new {
	unsigned long inet_flags;
} __attribute__((preserve_access_index));

struct inet_sock___old {
	__u8 freebind: 1;
	__u8 transparent: 1;
} __attribute__((preserve_access_index));

#define BW_INET_FLAGS_FREEBIND		11
#define BW_INET_FLAGS_TRANSPARENT	15

static __always_inline void inet_freebind_transparent(const struct sock *sk,
						      int *freebind,
						      int *transparent)
{
	if (bpf_core_field_exists(struct inet_sock___new, inet_flags)) {
		const struct inet_sock___new *inet = (const void *)sk;
		unsigned long f = BPF_CORE_READ(inet, inet_flags);

		*freebind = (f >> BW_INET_FLAGS_FREEBIND) & 1;
		*transparent = (f >> BW_INET_FLAGS_TRANSPARENT) & 1;
	} else {
		const struct inet_sock___old *inet = (const void *)sk;

		*freebind = BPF_CORE_READ_BITFIELD_PROBED(inet, freebind);
		*transparent = BPF_CORE_READ_BITFIELD_PROBED(inet, transparent);
	}
}

/* The same through a read-only cast (plain loads): `inet` is the socket
 * cast to the inet_sock flavour that exists here, by the caller, since the
 * cast itself (bw_cast(), events.bpf.h) lives with the programs. */
static __always_inline void inet_flags_new(const struct inet_sock___new *inet,
					   int *freebind, int *transparent)
{
	unsigned long f = inet->inet_flags;

	*freebind = (f >> BW_INET_FLAGS_FREEBIND) & 1;
	*transparent = (f >> BW_INET_FLAGS_TRANSPARENT) & 1;
}

static __always_inline void inet_flags_old(const struct inet_sock___old *inet,
					   int *freebind, int *transparent)
{
	*freebind = BPF_CORE_READ_BITFIELD(inet, freebind);
	*transparent = BPF_CORE_READ_BITFIELD(inet, transparent);
}

#endif
