#!/bin/sh
# Run each libFuzzer target for SECONDS: its seed corpus fuzz/corpus/NAME (read
# only) plus a working corpus in OUT/corpus/NAME.  A crash, leak, timeout or
# sanitizer report fails the target; the input that did it is left in
# OUT/crashes/ (reproduce: OUT/fuzz_NAME OUT/crashes/NAME-crash-...).
# Usage: tests/fuzz.sh OUT SECONDS OUT/fuzz_NAME...
out=$1; secs=$2; shift 2
pass=0; fail=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	mkdir -p "$out/corpus/$name" "$out/crashes"
	seeds=fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=
	if "$bin" -max_total_time="$secs" -close_fd_mask=3 -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
		"$out/corpus/$name" $seeds > "$out/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
		echo "ok   fuzz_$name: ${runs:-?} runs in ${secs} s"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz_$name (log: $out/$name.log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$out/$name.log" | head -8
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
