/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Constants both sides of the kernel/user contract use, so that neither
 * writes the number itself: the port bitmap's size and the per-CPU counter
 * indices.  Self-contained in both worlds (no types needed).
 */
#ifndef BW_CONSTS_H
#define BW_CONSTS_H

/* A bitmap of all 65,536 ports, one bit each: port p is bit (p & 7) of
 * byte (p >> 3).  Used for --port filters and for the claimed-port watch. */
#define BW_PORT_BITMAP_BYTES	(65536 / 8)

/* Indices into the per-CPU counter array map. */
#define BW_CNT_DROPPED		0	/* failed ring-buffer reserves */
#define BW_CNT_UNTRACKED	1	/* sockets the kernel's state table had no room for */
#define BW_CNT_MAX		2	/* number of counters */

#endif /* BW_CONSTS_H */
