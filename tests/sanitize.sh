#!/bin/sh
# The unit tests and a short real-agent run under ASan + UBSan (built by
# `make sanitize-bins` into SAN; -fno-sanitize-recover: any report stops the
# process).  Reports also go to files, so a report from an agent that a test
# harness ran in the background is not missed.  Usage: tests/sanitize.sh SAN
san=${1:-.output/san}
logs=$san/reports
rm -rf "$logs"; mkdir -p "$logs"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$PWD/$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$PWD/$logs/ubsan"
pass=0; fail=0
step() {	# name, command...: one pass or fail, and no report files
	name=$1; shift
	before=$(ls "$logs" | wc -l)
	if "$@" > "$logs/.out" 2>&1 && [ "$(ls "$logs" | wc -l)" = "$before" ]; then
		echo "ok   sanitize $name"
		pass=$((pass + 1))
	else
		echo "FAIL sanitize $name"
		tail -5 "$logs/.out"
		for f in "$logs"/*; do [ -f "$f" ] && head -20 "$f"; done
		fail=$((fail + 1))
	fi
}
for t in "$san"/tests/test_*; do
	step "unit $(basename "$t")" "$t"
done
step "registry list" "$san/bindwatch" registry list
if [ "$(id -u)" = 0 ]; then
	# the real agent: watch a few binds (~2 s each), a collision, hostile
	# comm strings, and the daemon with rotation, SIGHUP, restart and verify
	for t in bind_tcp4 bind_udp6 eaddrinuse_bind untrusted_comm holder_before_start \
		log_history_and_hup log_kill_and_torn log_second_daemon; do
		step "agent $t" "$(dirname "$san")/tests/ktest" "$san/bindwatch" $t
	done
	step "who --all" "$san/bindwatch" who --all
else
	echo "SKIP sanitize agent runs: not root"
fi
echo "sanitize: $pass passed, $fail failed"
[ $fail -eq 0 ]
