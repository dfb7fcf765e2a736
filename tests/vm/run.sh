#!/bin/bash
# Kernel matrix: boot Debian's linux-image-amd64 (6.1) under qemu (TCG, no
# KVM needed) with a busybox initramfs holding the agent, its libraries and
# the kernel tests; run the suite on the fentry backend, then on the cgroup
# backend forced.  Prints the same closing line as the host suite.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${BW_VM_CACHE:-$top/.output/vm}
timeout_s=${BW_VM_TIMEOUT:-1500}
mkdir -p "$cache"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need qemu-system-x86_64 || ! [ -x /bin/busybox ] || ! need cpio; then
	echo "# installing qemu-system-x86, busybox-static, cpio"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 busybox-static cpio >/dev/null
fi

# The kernel: whatever linux-image-amd64 points at, unpacked, never installed.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
if [ -z "$kpkg" ]; then
	apt-get update -qq
	kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
fi
kdir=$cache/$kpkg
if ! ls "$kdir"/boot/vmlinuz-* >/dev/null 2>&1; then
	echo "# fetching $kpkg"
	(cd "$cache" && rm -f "$kpkg"_*.deb && apt-get download -qq "$kpkg")
	rm -rf "$kdir"
	dpkg-deb -x "$cache/$kpkg"_*.deb "$kdir"
fi
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -1)

# The initramfs: busybox, the agent and every shared library it needs.
root=$cache/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib64}
cp /bin/busybox "$root/bin/busybox"
for app in $(/bin/busybox --list); do
	[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done
copy_with_libs() {
	local f=$1 dest=$2
	cp "$f" "$root/$dest"
	# scripts have no libraries: ldd fails, and that is fine
	{ ldd "$f" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}
copy_with_libs "$top/bindwatch" bindwatch
copy_with_libs "$top/.output/tests/ktest" ktest
need bpftool && copy_with_libs "$(command -v bpftool)" usr/sbin/bpftool
[ -x /usr/sbin/bindsnoop ] && copy_with_libs /usr/sbin/bindsnoop usr/sbin/bindsnoop
# iproute2's ip (netns) and ss (who_vs_ss) at their own paths: busybox's
# shell runs its own applets before PATH, so the tests name them by path
for t in ip ss sysctl; do
	p=$(command -v $t) && { mkdir -p "$root/$(dirname "$p")"; rm -f "$root/bin/$t"; copy_with_libs "$p" "${p#/}"; }
done
# sock_diag for TCP and UDP: modules in Debian's kernel, loaded by hand here
for m in inet_diag tcp_diag udp_diag; do
	f=$(find "$kdir/lib/modules" -name "$m.ko" | head -1)
	[ -n "$f" ] && cp "$f" "$root/$m.ko"
done
for extra in ${BW_VM_EXTRA:-}; do copy_with_libs "$extra" "bin/$(basename "$extra")"; done
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
ip link set lo up
mkdir -p /run/netns
for m in inet_diag tcp_diag udp_diag; do [ -f /$m.ko ] && insmod /$m.ko; done
echo "=== vm: kernel $(uname -r)"
cd /
export BW_STORM_N=3000	# TCG runs ~20x slower than the host
if [ -x /vmscript ]; then /vmscript; else
echo "=== vm: fentry backend"
./ktest ./bindwatch --backend fentry
echo "=== vm: cgroup backend (forced)"
./ktest ./bindwatch --backend cgroup
fi
echo "=== vm: done"
poweroff -f
INIT
chmod +x "$root/init"
[ -n "${BW_VM_SCRIPT:-}" ] && install -m 755 "$BW_VM_SCRIPT" "$root/vmscript"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$cache/initrd.gz"

log=$cache/console.log
echo "# booting $(basename "$vmlinuz") under qemu TCG"
set +e
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -m 1536 -smp 2 \
	-kernel "$vmlinuz" -initrd "$cache/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 rdinit=/init" \
	-nographic -no-reboot -monitor none -serial stdio </dev/null | tr -d '\r' | tee "$log"
set -e
grep -q "=== vm: done" "$log" || { echo "vm: did not finish"; echo "0 passed, 1 failed"; exit 1; }
[ -n "${BW_VM_SCRIPT:-}" ] && exit 0
# One closing line for both runs.
awk '/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3; s += $5 }
     END { printf "vm: %d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0 || p == 0) }' "$log"
