/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Constants from libc/uapi headers, which a BPF object cannot include. */
#ifndef BW_CONSTS_BPF_H
#define BW_CONSTS_BPF_H

#define AF_INET		2
#define AF_INET6	10

#define TCP_LISTEN	10
#define TCP_CLOSE	7

#define SHUTDOWN_MASK	3

#endif
