// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under the cgroup backend, for bench/run.sh's "hooks-only"
 * configuration: the three cgroup hooks a TCP or UDP bind cycle runs
 * (bind4, post_bind4, sock_release), each returning at once.  What a cycle
 * costs with these attached is what attaching any program there costs; the
 * difference to bindwatch's is what its programs do.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/bind4")
int empty_bind4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/post_bind4")
int empty_post_bind4(struct bpf_sock *ctx)
{
	return 1;
}

SEC("cgroup/sock_release")
int empty_release(struct bpf_sock *ctx)
{
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
