/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Constants from libc/uapi headers, which a BPF object cannot include. */
#ifndef BW_CONSTS_BPF_H
#define BW_CONSTS_BPF_H

#define AF_INET		2
#define AF_INET6	10

#define TCP_LISTEN	10
#define TCP_CLOSE	7

#define SHUTDOWN_MASK	3

/* errno values the programs report (uapi asm-generic/errno) */
#define EADDRINUSE	98

/* sock.sk_userlocks: the caller bound a port itself (include/net/sock.h) */
#define SOCK_BINDPORT_LOCK	8

#endif
