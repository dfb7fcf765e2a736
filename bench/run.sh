#!/bin/sh
# bindwatch benchmark (POSIX sh: it also runs inside the busybox VM).
# Interleaves configurations (A B C A B C ...) and reports medians and ratios
# to the no-monitor baseline measured in the same run.
#   BENCH_ROUNDS (7)  rounds;  BENCH_SCALE (1) iteration multiplier
#   BENCH_STORM_S (3) storm seconds
#   BENCH_STAT_ROUNDS (5) rounds of the kernel's per-program run time
#   BENCH_STAT_N (20000 x scale) bind cycles per such round
#   BENCH_ONLY_STATS (0) 1: the per-program table only (the VM uses it)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BW=${BW:-$top/bindwatch}
BENCH=${BENCH:-$top/.output/bench/bench}
PROGSTATS=${PROGSTATS:-$top/.output/bench/progstats}
EMPTY_OBJ=${EMPTY_OBJ:-$top/.output/bench/empty.bpf.o}
rounds=${BENCH_ROUNDS:-7}
scale=${BENCH_SCALE:-1}
storm_s=${BENCH_STORM_S:-3}
tmp=$(mktemp -d /tmp/bwbench.XXXXXX)
trap 'stop_monitor; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mon_pid=
hooks_pin=

wait_line() {	# file pattern seconds
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# hooks-only: bench/empty.bpf.c's three programs that return at once, pinned
# and attached to the cgroup-v2 root (no agent): the floor of any cgroup
# socket monitor on this kernel.
cg_root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
empty_hooks="bind4:empty_bind4 post_bind4:empty_post_bind4 sock_release:empty_release"

attach_empty() {
	hooks_pin=/sys/fs/bpf/bwbench_empty_$$	# bpffs refuses dots in names
	bpftool prog loadall "$EMPTY_OBJ" "$hooks_pin" > "$tmp/mon.err" 2>&1 || return 1
	for h in $empty_hooks; do
		bpftool cgroup attach "$cg_root" "${h%%:*}" pinned "$hooks_pin/${h#*:}" multi \
			>> "$tmp/mon.err" 2>&1 || return 1
	done
}

detach_empty() {
	[ -n "$hooks_pin" ] || return 0
	for h in $empty_hooks; do
		bpftool cgroup detach "$cg_root" "${h%%:*}" pinned "$hooks_pin/${h#*:}" 2>/dev/null
	done
	rm -rf "$hooks_pin"
	hooks_pin=
}

start_monitor() {	# config
	: > "$tmp/mon.out"
	case $1 in
	none) mon_pid=; return 0 ;;
	hooks-only) mon_pid=; attach_empty; return $? ;;
	bw-fentry) "$BW" --json --backend fentry > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	bw-cgroup) "$BW" --json --backend cgroup > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	bw-cgroup-exact) "$BW" --json --backend cgroup --exact-errno > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	bpftrace) bpftrace -e 'tracepoint:syscalls:sys_enter_bind { @t[tid] = 1; } tracepoint:syscalls:sys_exit_bind /@t[tid]/ { printf("%d %s %d\n", pid, comm, args->ret); delete(@t[tid]); }' > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	bindsnoop) bindsnoop > "$tmp/mon.out" 2>"$tmp/mon.err" & ;;
	esac
	mon_pid=$!
	case $1 in
	bw-*) wait_line "$tmp/mon.out" '"ready"' 30 ;;
	bpftrace) wait_line "$tmp/mon.out" 'Attaching' 60 ;;
	bindsnoop)	# its stdout is a pipe, so buffered: look for its programs instead
		i=0; while [ $i -lt 300 ]; do
			bpftool prog show 2>/dev/null | grep -q ipv4_bind_exit && break
			kill -0 "$mon_pid" 2>/dev/null || break
			sleep 0.1; i=$((i + 1))
		done
		bpftool prog show 2>/dev/null | grep -q ipv4_bind_exit ;;
	esac
	rc=$?
	sleep 0.3
	kill -0 "$mon_pid" 2>/dev/null || rc=1
	return $rc
}

stop_monitor() {
	detach_empty
	[ -n "$mon_pid" ] || return 0
	kill -INT "$mon_pid" 2>/dev/null
	wait "$mon_pid" 2>/dev/null
	mon_pid=
}

# Which configurations this kernel allows.
configs=none
for c in hooks-only bw-fentry bw-cgroup bw-cgroup-exact bpftrace bindsnoop; do
	case $c in
	hooks-only) { [ -n "$cg_root" ] && [ -f "$EMPTY_OBJ" ] && command -v bpftool >/dev/null 2>&1; } ||
		{ echo "# skip hooks-only: needs bpftool, the cgroup-v2 root and $EMPTY_OBJ"; continue; } ;;
	bpftrace) command -v bpftrace >/dev/null 2>&1 || { echo "# skip bpftrace: not installed"; continue; } ;;
	bindsnoop) command -v bindsnoop >/dev/null 2>&1 || { echo "# skip bindsnoop: not installed"; continue; } ;;
	esac
	if start_monitor $c; then
		configs="$configs $c"
	else
		echo "# skip $c: $(tail -1 "$tmp/mon.err" 2>/dev/null)"
	fi
	stop_monitor
done
echo "# kernel $(uname -r), $(nproc) cpus, $(date -u +%Y-%m-%dT%H:%MZ), configs: $configs"

# In-kernel cost per program, measured by the kernel: run_time_ns / run_cnt
# of the programs THIS agent holds (progstats finds them in the agent's
# /proc/PID/fdinfo, so other agents on the host are not counted; it turns the
# statistics on through BPF_ENABLE_STATS, held by a descriptor, and never
# writes kernel.bpf_stats_enabled).  Other processes' binds during a round
# run the same programs: runs per cycle says how many there were.
stat_rounds=${BENCH_STAT_ROUNDS:-5}
stat_n=${BENCH_STAT_N:-$((20000 * scale))}
: > "$tmp/stats"
for c in $configs; do
	case $c in bw-*) ;; *) continue ;; esac
	for op in bind listen udp; do
		r=1
		while [ $r -le "$stat_rounds" ]; do
			start_monitor $c || { echo "# $c failed to start for the run-time statistics"; break; }
			"$PROGSTATS" "$mon_pid" -- "$BENCH" $op "$stat_n" 2>"$tmp/ps.err" |
				awk -v c=$c -v op=$op 'NF == 4 { print c, op, $1, $3, $4 }' >> "$tmp/stats"
			[ -s "$tmp/ps.err" ] && echo "# progstats: $(head -1 "$tmp/ps.err")"
			stop_monitor
			r=$((r + 1))
		done
	done
done
if [ -s "$tmp/stats" ]; then
	echo
	echo "In-kernel run time per program (kernel run_time_ns / run_cnt; median of $stat_rounds rounds of $stat_n cycles)"
	awk -v n=$stat_n '
	function median(s,   a, k, i, j, t) {
		k = split(s, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	$4 > 0 { k = $1 " " $2 " " $3; if (!(k in avg)) order[++no] = k; avg[k] = avg[k] " " $5 / $4; runs[k] = runs[k] " " $4 / n }
	END {
		printf "| %-16s | %-6s | %-18s | %-14s | %-13s |\n", "config", "cycle", "program", "runs per cycle", "avg ns per run"
		printf "|---|---|---|---|---|\n"
		for (i = 1; i <= no; i++) {
			k = order[i]; split(k, f, " ")
			rpc = median(runs[k]); a = median(avg[k])
			if (rpc < 0.1) continue	# not part of this cycle: other processes
			printf "| %-16s | %-6s | %-18s | %14.2f | %13.0f |\n", f[1], f[2], f[3], rpc, a
			sum[f[1] " " f[2]] += a * int(rpc + 0.5)
			if (!((f[1] " " f[2]) in seen)) { seen[f[1] " " f[2]] = 1; so[++ns] = f[1] " " f[2] }
		}
		print ""
		for (i = 1; i <= ns; i++) { split(so[i], f, " "); printf "Sum per %s cycle, %s: %.0f ns\n", f[2], f[1], sum[so[i]] }
	}' "$tmp/stats"
fi
[ "${BENCH_ONLY_STATS:-0}" = 1 ] && exit 0

n_bind=${BENCH_N_BIND:-$((20000 * scale))}; n_pid=${BENCH_N_PID:-$((300000 * scale))}
r=1
while [ $r -le "$rounds" ]; do
	for c in $configs; do
		start_monitor $c || { echo "# $c failed to start in round $r"; continue; }
		for op in bind listen udp getppid; do
			n=$n_bind; [ $op = getppid ] && n=$n_pid
			echo "$c $op $("$BENCH" $op $n)" >> "$tmp/results"
		done
		stop_monitor
	done
	r=$((r + 1))
done

echo
echo "Cost per operation: median ns over $rounds interleaved rounds (ratio to none)"
awk -v order="$configs" '
{ v[$1 " " $2] = v[$1 " " $2] " " $3 }
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	split("bind listen udp getppid", ops, " ")
	printf "| %-16s | %-18s | %-18s | %-18s | %-18s |\n", "config", "(a) bind cycle", "(b) +listen", "(c) udp bind", "(d) getppid"
	printf "|%s|%s|%s|%s|%s|\n", "---", "---", "---", "---", "---"
	nc = split(order, cs, " ")
	for (k = 1; k <= nc; k++) {
		c = cs[k]; line = sprintf("| %-16s |", c)
		for (o = 1; o <= 4; o++) {
			m = median(v[c " " ops[o]]); b = median(v["none " ops[o]])
			line = line sprintf(" %7.0f (%5.2fx) |", m, b ? m / b : 0)
		}
		print line
	}
}' "$tmp/results"

# Storm: the highest bind rate two processes make, with bindwatch watching.
storm_cfg=bw-cgroup
echo "$configs" | grep -q bw-fentry && storm_cfg=bw-fentry
echo
echo "Storm ($storm_cfg, 2 processes, ${storm_s}s of socket+bind+close)"
base=$("$BENCH" storm 2 "$storm_s")
echo "  no monitor:      $(echo $base | cut -d' ' -f1) binds/s"
for ring in default 4096; do
	args="--json --backend ${storm_cfg#bw-}"
	[ $ring = 4096 ] && args="$args --ringbuf 4096"
	"$BW" $args > "$tmp/storm.out" 2>/dev/null &
	mon_pid=$!
	wait_line "$tmp/storm.out" '"ready"' 30
	cpu0=$(awk '{print $14 + $15}' /proc/$mon_pid/stat)
	res=$("$BENCH" storm 2 "$storm_s")
	cpu1=$(awk '{print $14 + $15}' /proc/$mon_pid/stat)
	rss=$(awk '/VmRSS/ {print $2}' /proc/$mon_pid/status)
	stop_monitor
	total=$(echo $res | cut -d' ' -f2)
	sum=$(tail -1 "$tmp/storm.out")
	binds=$(echo "$sum" | sed 's/.*"binds":\([0-9]*\).*/\1/')
	closes=$(echo "$sum" | sed 's/.*"closes":\([0-9]*\).*/\1/')
	dropped=$(echo "$sum" | sed 's/.*"dropped":\([0-9]*\).*/\1/')
	tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
	echo "  ring $ring: $(echo $res | cut -d' ' -f1) binds/s; generated $((2 * total)) events," \
		"delivered $((binds + closes)), dropped $dropped," \
		"exact: $([ $((binds + closes + dropped)) -eq $((2 * total)) ] && echo yes || echo NO);" \
		"agent CPU $(awk -v a=$cpu0 -v b=$cpu1 -v s=$storm_s -v t=$tck 'BEGIN {printf "%.0f%%", (b - a) / t / s * 100}'), RSS $((rss / 1024)) MiB"
done

# Idle cost and start-up time.
"$BW" --json > "$tmp/idle.out" 2>/dev/null &
mon_pid=$!
wait_line "$tmp/idle.out" '"ready"' 30
cpu0=$(awk '{print $14 + $15}' /proc/$mon_pid/stat)
sleep 5
cpu1=$(awk '{print $14 + $15}' /proc/$mon_pid/stat)
rss=$(awk '/VmRSS/ {print $2}' /proc/$mon_pid/status)
stop_monitor
echo
echo "Idle: agent CPU $((cpu1 - cpu0)) ticks in 5 s, RSS $((rss / 1024)) MiB ($rss KiB)"
ready_ms=""
for i in 1 2 3 4 5; do ready_ms="$ready_ms $("$BENCH" ready "$BW" --json)"; done
echo "Start to ready line (ms, 5 runs):$ready_ms"

# Scale: 10,000 listeners; the start-up snapshot and `who` beside ss and lsof.
ms_of() {	# median ms of 5 runs of a command
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
	done | sort -n | sed -n 3p | awk '{printf "%.1f", $1 / 1000}'
}
if [ "${BENCH_SKIP_SCALE:-0}" != 1 ]; then
	mkfifo "$tmp/hold"
	"$BENCH" listeners 10000 < "$tmp/hold" > "$tmp/listeners.out" &
	lpid=$!
	exec 9> "$tmp/hold"
	wait_line "$tmp/listeners.out" ready 60
	port=$(ss -tlnH 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -n | sed -n 5000p)
	echo
	echo "Scale: 10,000 listening sockets (port $port for the one-port queries), median of 5 runs"
	echo "| query | ms |"
	echo "|---|---|"
	command -v ss >/dev/null && echo "| ss -tlnp (all, with processes) | $(ms_of ss -tlnp) |"
	command -v ss >/dev/null && echo "| ss -tlnp 'sport = :$port' | $(ms_of ss -tlnp "sport = :$port") |"
	command -v lsof >/dev/null && echo "| lsof -i TCP:$port | $(ms_of lsof -nP -i TCP:$port) |"
	echo "| bindwatch who --all (every netns, with owners) | $(ms_of "$BW" who --all) |"
	echo "| bindwatch who $port | $(ms_of "$BW" who $port) |"
	snap=$("$BW" -v --duration 1 2>&1 >/dev/null | sed -n 's/.*snapshot: \([0-9]*\) bound sockets in \([0-9.]*\) ms.*/\1 sockets in \2 ms/p')
	echo "| agent start-up snapshot | $snap |"
	exec 9>&-
	wait $lpid 2>/dev/null
fi
echo "Registry: $("$BW" registry list | wc -l) claims; embedded load measured in tests/unit/test_registry.c"
