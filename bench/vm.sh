#!/bin/sh
# The per-program run-time table inside the Debian 6.1 VM (tests/vm/run.sh:
# qemu TCG, so only ratios between programs and backends mean anything, not
# the absolute nanoseconds): fentry, cgroup and cgroup --exact-errno, which
# this host's kernel cannot all run.  Slow (several minutes): not part of
# `make bench`: run bench/vm.sh.
#   BENCH_STAT_ROUNDS (3), BENCH_STAT_N (3000) as in bench/run.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$top" bindwatch .output/tests/ktest
make -s -C "$top/bench" OUTPUT="$top/.output/bench"
script=$(mktemp /tmp/bwbench-vm.XXXXXX)
trap 'rm -f "$script"' EXIT
cat > "$script" <<INNER
#!/bin/sh
echo "=== vm: bench"
BW=/bindwatch BENCH=/bin/bench PROGSTATS=/bin/progstats BENCH_ONLY_STATS=1 \\
	BENCH_STAT_ROUNDS=${BENCH_STAT_ROUNDS:-3} BENCH_STAT_N=${BENCH_STAT_N:-3000} \\
	sh /bin/run.sh
INNER
chmod +x "$script"
BW_VM_SCRIPT=$script \
BW_VM_EXTRA="$top/.output/bench/bench $top/.output/bench/progstats $top/bench/run.sh" \
	"$top/tests/vm/run.sh" | sed -n '/=== vm: bench/,/=== vm: done/p'
