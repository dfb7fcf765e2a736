#!/bin/bash
# The whole suite: unit tests, fuzzers, sanitizers, kernel tests on every
# backend this kernel allows, then (unless BW_SKIP_VM=1) the kernel matrix in qemu.  Ends with
# one "N passed, N failed, N skipped" line for all of it.
set -uo pipefail
cd "$(dirname "$0")/.."
out=.output/test-results
mkdir -p "$out"
: > "$out/all.log"
run() {	# name, command...
	local name=$1; shift
	echo "=== $name"
	"$@" 2>&1 | tee "$out/$name.log"
	grep -E '^[a-z]*:? ?[0-9]+ passed, [0-9]+ failed' "$out/$name.log" | tail -1 >> "$out/all.log" \
		|| echo "0 passed, 1 failed, 0 skipped" >> "$out/all.log"
}
units=$(ls .output/tests/test_* 2>/dev/null)
run unit tests/run-unit.sh $units
# libFuzzer targets, each for FUZZ_SECONDS (make test passes its default)
fuzzers=$(ls .output/fuzz/fuzz_* 2>/dev/null | grep -v '\.log$')
run fuzz tests/fuzz.sh .output/fuzz "${FUZZ_SECONDS:-15}" $fuzzers
# unit tests and a short real-agent run under ASan + UBSan
run sanitize tests/sanitize.sh .output/san

if [ "$(id -u)" != 0 ]; then
	echo "SKIP kernel tests: not root"
	echo "0 passed, 0 failed, 1 skipped" >> "$out/all.log"
else
	if ./bindwatch --backend fentry --duration 1 >/dev/null 2>"$out/fentry-probe.log"; then
		run host-fentry .output/tests/ktest ./bindwatch --backend fentry
	else
		echo "SKIP host fentry backend: $(tail -1 "$out/fentry-probe.log") (the VM stage covers it)"
		echo "0 passed, 0 failed, 1 skipped" >> "$out/all.log"
	fi
	run host-cgroup .output/tests/ktest ./bindwatch --backend cgroup
	run host-cgroup-exact .output/tests/ktest ./bindwatch --backend cgroup --exact-errno
	# the same suite on the probe-read build of the cgroup programs, which
	# this kernel would not otherwise load (6.1 does: the vm stage)
	BINDWATCH_PROBE_READS=1 run host-cgroup-probe .output/tests/ktest ./bindwatch --backend cgroup
	run fleet tests/fleet/run.sh
	if [ "${BW_SKIP_VM:-0}" = 1 ]; then
		echo "SKIP vm matrix: BW_SKIP_VM=1"
		echo "0 passed, 0 failed, 1 skipped" >> "$out/all.log"
	else
		run vm tests/vm/run.sh
	fi
fi
awk '{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0) }' "$out/all.log"
