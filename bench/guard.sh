#!/bin/sh
# The port guard's cost on binds of ports it does not guard (POSIX sh).
# Interleaves: no monitor, the cgroup watch alone, and the same watch with
# `bindwatch guard` and a policy of 64 rules (none covering the ports the
# workload binds), and reports medians.  The guard's own share is the
# difference between the last two columns.
#   BENCH_ROUNDS (7) rounds;  BENCH_N_BIND (20000) bind cycles per sample
# Then the programs' own run time per invocation from the kernel's counters,
# for the programs the guarding agent holds only (bench/progstats.c: its
# /proc/PID/fdinfo; BPF_ENABLE_STATS on only while the workload runs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BW=${BW:-$top/bindwatch}
BENCH=${BENCH:-$top/.output/bench/bench}
PROGSTATS=${PROGSTATS:-$top/.output/bench/progstats}
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
	# the guard is attached once the ready record lists it among its hooks
	[ "$1" = guard ] && { wait_line "$tmp/mon.out" '"hooks":\[[^]]*"guard"' 10 || return 1; }
	sleep 0.3
	kill -0 "$mon_pid" 2>/dev/null
}

stop_monitor() {
	[ -n "$mon_pid" ] || return 0
	kill -INT "$mon_pid" 2>/dev/null
	wait "$mon_pid" 2>/dev/null
	mon_pid=
}

[ -x "$BENCH" ] && [ -x "$PROGSTATS" ] || make -s -C "$top/bench" OUTPUT="$top/.output/bench" >/dev/null
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
# counters, for the guarding agent's programs only (the guard's and its
# watch's), all on unguarded ports.  Other processes' binds while it runs
# also run them: runs per cycle says how many there were.
start_monitor guard || { echo "# guard failed to start"; exit 0; }
: > "$tmp/stats"
for op in bind udp; do
	"$PROGSTATS" "$mon_pid" -- "$BENCH" $op $((n * 5)) 2>"$tmp/ps.err" |
		awk -v op=$op 'NF == 4 { print op, $1, $3, $4 }' >> "$tmp/stats"
	[ -s "$tmp/ps.err" ] && echo "# progstats: $(head -1 "$tmp/ps.err")"
done
stop_monitor
echo
echo "In-kernel run time per program of the guarding agent (kernel run_time_ns / run_cnt; $((n * 5)) cycles each)"
awk -v n=$((n * 5)) '
$3 > 0 && $3 / n >= 0.1 {
	printf "  %-4s %-18s %6.2f runs per cycle, %6.0f ns each\n", $1, $2, $3 / n, $4 / $3
}' "$tmp/stats"
