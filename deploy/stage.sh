#!/bin/sh
# Stage the image's whole file system: the agent and exactly the shared
# libraries ldd names for it (copied under the path the loader asks for),
# plus the folders it uses at run time.  deploy/Containerfile copies the
# result into an empty (scratch) image: nothing is pulled from a registry.
# Usage: deploy/stage.sh AGENT-BINARY OUT-DIR
set -eu
agent=$1 out=$2
rm -rf "$out"
mkdir -p "$out/rootfs/usr/sbin" "$out/rootfs/etc/bindwatch/registry.d" \
	"$out/rootfs/var/log/bindwatch" "$out/rootfs/usr/share/doc/bindwatch" "$out/rootfs/tmp"
cp "$agent" "$out/rootfs/usr/sbin/bindwatch"
# "libx.so.N => /lib/.../libx.so.N (0x...)" and the loader "/lib64/ld-linux... (0x...)";
# linux-vdso has no file.
ldd "$agent" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u |
while read -r lib; do
	mkdir -p "$out/rootfs$(dirname "$lib")"
	cp -L "$lib" "$out/rootfs$lib"
	echo "$lib"
done > "$out/rootfs/usr/share/doc/bindwatch/libraries.txt"
if [ ! -s "$out/rootfs/usr/share/doc/bindwatch/libraries.txt" ]; then
	echo "stage.sh: ldd named no libraries for $agent" >&2
	exit 1
fi
cp "$(dirname "$0")/Containerfile" "$out/Containerfile"
