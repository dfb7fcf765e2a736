#!/bin/sh
# The port guard's cost on binds of ports it does not guard (POSIX sh).
# Interleaves: no monitor, the cgroup watch alone, and the same watch with
# `bindwatch guard` and a policy of 64 rules (none covering the ports the
# workload binds), and reports medians.  The guard's own share is the
# difference between the last two columns.
#   BENCH_ROUNDS (7) rounds;  BENCH_N_BIND (20000) bind cycles per sample
# Then the programs' own run time per invocation from the kernel's counters
# (bench/bpfstats.c turns them on only while the workload runs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BW=${BW:-$top/bindwatch}
BENCH=${BENCH:-$top/.output/bench/bench}
rounds=${BENCH_ROUNDS:-7}
n=${BENCH_N_BIND:-20000}
tmp=$(mktemp -d /tmp/bwguard.XXXXXX)
mon_pid=
trap 'stop_monitor; rm -rf "$tmp"' EXIT

# 64 rules on low ports, a range among them; the workload binds port 0, so
# bind4 sees port 0 and post_bind an ephemeral port: both unguarded.
i=1
while [ $i -le 63 ]; do echo "$((i * 10))/tcp uid:0,comm:bench-owner"; i=$((i + 1)); done > "$tmp/policy"
echo "700-900/udp uid:0" >> "$tmp/policy"

wait_line() {	# file pattern seconds
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

start_monitor() {
	: > "$tmp/mon.out"
	case $1 in
	none) mon_pid=; return 0 ;;
	watch) "$BW" --json --backend cgroup > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	guard) "$BW" guard --json --backend cgroup --policy "$tmp/policy" > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	esac
	mon_pid=$!
	wait_line "$tmp/mon.out" '"ready"' 30 || return 1
	[ "$1" = guard ] && { wait_line "$tmp/mon.out" '"guard_ready"' 10 || return 1; }
	sleep 0.3
	kill -0 "$mon_pid" 2>/dev/null
}

stop_monitor() {
	[ -n "$mon_pid" ] || return 0
	kill -INT "$mon_pid" 2>/dev/null
	wait "$mon_pid" 2>/dev/null
	mon_pid=
}

[ -x "$BENCH" ] || make -s -C "$top/bench" OUTPUT="$top/.output/bench" >/dev/null
echo "# guard overhead: kernel $(uname -r), $(nproc) cpus, $(date -u +%Y-%m-%dT%H:%MZ), $rounds rounds of $n"
r=1
while [ $r -le "$rounds" ]; do
	for c in none watch guard; do
		start_monitor $c || { echo "# $c failed to start: $(tail -1 "$tmp/mon.err")"; stop_monitor; continue; }
		for op in bind udp; do
			echo "$c $op $("$BENCH" $op "$n")" >> "$tmp/results"
		done
		stop_monitor
	done
	r=$((r + 1))
done
awk '
{ v[$1 " " $2] = v[$1 " " $2] " " $3 }
function median(s,   a, k, i, j, t) {
	k = split(s, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	printf "| %-22s | %-8s | %-8s | %-8s | %-12s |\n", "ns per op (median)", "none", "watch", "guard", "guard-watch"
	printf "|---|---|---|---|---|\n"
	split("bind udp", ops, " ")
	for (o = 1; o <= 2; o++) {
		a = median(v["none " ops[o]]); b = median(v["watch " ops[o]]); c = median(v["guard " ops[o]])
		printf "| %-22s | %8.0f | %8.0f | %8.0f | %+12.0f |\n", \
			(ops[o] == "bind" ? "tcp socket+bind(0)+close" : "udp socket+bind(0)+close"), a, b, c, c - b
	}
}' "$tmp/results"

# The programs themselves: run time per invocation, from the kernel's own
# counters (BPF_ENABLE_STATS while the workload runs), for the guard's
# programs and the watch's, all on unguarded ports.  Needs jq.
command -v jq >/dev/null 2>&1 || { echo "# skip in-kernel timing: no jq"; exit 0; }
cc -O2 -o "$tmp/bpfstats" "$top/bench/bpfstats.c" || exit 0
# bpftool here may not name the owning pid: the agent's programs are the
# ones that appear when it starts
bpftool prog show --json | jq '[.[].id]' > "$tmp/before.json"
start_monitor guard || { echo "# guard failed to start"; exit 0; }
"$tmp/bpfstats" sh -c '"$1" bind "$2" >/dev/null; "$1" udp "$2" >/dev/null; bpftool prog show --json' \
	sh "$BENCH" $((n * 5)) > "$tmp/stats.json"
echo
echo "In-kernel run time per invocation (BPF_ENABLE_STATS; every bind on the host while it ran)"
jq -r --slurpfile before "$tmp/before.json" '
	.[] | select(.id as $i | $before[0] | index($i) | not)
	| select(.run_cnt != null and .run_cnt > 0) | select(.name | test("bind"))
	| "  \(.name): \(.run_cnt) runs, \(.run_time_ns / .run_cnt | floor) ns each"' "$tmp/stats.json" | sort
stop_monitor
