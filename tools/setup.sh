#!/bin/sh
# Install what bindwatch needs to build, run and test on Debian 12.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev linux-libc-dev \
	bpftool iproute2 procps qemu-system-x86 busybox-static cpio \
	libbpf-tools bpftrace libwireshark-data libssl-dev lsof ca-certificates \
	podman runc docker.io libjansson-dev python3 >/dev/null
# fleet: libmicrohttpd for --metrics; Prometheus, podman/runc (catatonit: its pause image), curl, jq for tests/fleet
apt-get install -y -qq --no-install-recommends \
	libmicrohttpd-dev prometheus podman runc catatonit curl jq >/dev/null
# clang's libFuzzer and sanitizer runtimes (make fuzz; make sanitize uses gcc's libasan/libubsan)
apt-get install -y -qq --no-install-recommends libclang-rt-14-dev >/dev/null
