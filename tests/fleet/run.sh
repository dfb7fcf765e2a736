#!/bin/bash
# The fleet stage: the agent's --metrics endpoint against a real Prometheus
# (Debian's), under abuse, and the image under podman (runc) with the
# DaemonSet's pod spec.  Everything it starts it stops, also on failure.
# Ends with "N passed, N failed, N skipped".
#
# Other agents and tests run on this machine at the same time: the agent is
# filtered to the test's own binder process (--pid), ports are picked at
# random among free ports no registry claims.
set -uo pipefail
cd "$(dirname "$0")/../.."
AGENT=${AGENT:-./bindwatch}
BINDER=${BINDER:-.output/tests/fleet-binder}
pass=0 fail=0 skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skp() { echo "SKIP $1: $2"; skip=$((skip + 1)); }
finish() { echo "fleet: $pass passed, $fail failed, $skip skipped"; exit $((fail > 0)); }

if [ "$(id -u)" != 0 ]; then
	skp fleet "not root (the agent loads BPF programs)"
	finish
fi
for tool in curl jq prometheus promtool; do
	if ! command -v $tool >/dev/null; then
		skp fleet "$tool is not installed (tools/setup.sh installs it)"
		finish
	fi
done
[ -x "$AGENT" ] && [ -x "$BINDER" ] || { bad fleet "build first: make bindwatch $BINDER"; finish; }

work=$(mktemp -d /tmp/bw-fleet.XXXXXX)
pids=()
ctr="" image="" kpod="" pause_made=""
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "$ctr" ] && podman --runtime runc rm -f -t 5 "$ctr" >/dev/null 2>&1
	[ -n "$kpod" ] && podman pod rm -f -t 5 "$kpod" >/dev/null 2>&1
	[ -n "$pause_made" ] && podman rmi -f "$pause_made" >/dev/null 2>&1
	[ -n "$image" ] && podman rmi -f "$image" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- helpers
coproc BIND { exec "$BINDER"; }
pids+=("$BIND_PID")
bpid=$BIND_PID
say() { echo "$*" >&"${BIND[1]}"; read -r -t 60 -u "${BIND[0]}" answer; echo "$answer"; }

# a port free for tcp and udp that no registry (IANA, de facto) claims
pick_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 9000))
		[[ "$("$AGENT" registry lookup "$p" 2>/dev/null)" == *"no known claims"* ]] || continue
		[ "$(say free "$p")" = ok ] && { echo "$p"; return 0; }
	done
	return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# one sample's value from a /metrics page (file), 0 when absent
sample() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }
scrape() { curl -s -m 5 "http://127.0.0.1:$mport/metrics" > "$1"; }

# Prometheus's instant query API: the value of expr, or "none"
promq() {
	curl -s -m 5 --data-urlencode "query=$1" "http://127.0.0.1:$pport/api/v1/query" |
		jq -r '.data.result[0].value[1] // "none"'
}

wait_http() {	# url, want code, seconds
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# --- the agent with --metrics, filtered to the binder
# (picked before the agent starts: trying a port is a bind it would count)
mport=$(pick_port) && pport=$(pick_port) && p1=$(pick_port) && p2=$(pick_port) &&
	p3=$(pick_port) && cport=$(pick_port) && p5=$(pick_port) && kport=$(pick_port) ||
	{ bad fleet "no free unclaimed ports"; finish; }
"$AGENT" --json --pid "$bpid" --metrics "127.0.0.1:$mport" >"$work/agent.out" 2>"$work/agent.err" &
agent=$!
pids+=("$agent")
if wait_http "http://127.0.0.1:$mport/healthz" 200 30; then
	ok "healthz answers 200 once attached"
else
	bad "healthz answers 200 once attached" "$(tail -3 "$work/agent.err")"
	finish
fi

# --- Prometheus, its own data dir, scraping every second
cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bindwatch
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
promtool check config "$work/prometheus.yml" >/dev/null 2>&1 ||
	bad "promtool check config" "$(promtool check config "$work/prometheus.yml" 2>&1 | tail -2)"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$work/prom.log" 2>&1 &
pids+=($!)
if ! wait_http "http://127.0.0.1:$pport/-/ready" 200 30; then
	bad prometheus "not ready in 30 s: $(tail -3 "$work/prom.log")"
	finish
fi

# --- what the test does: binds, failed binds, a claim
binds_ok=0 fail_tcp=0 fail_udp=0 listens=0 claim=0
act() {	# proto port
	local a
	a=$(say "$1" "$2")
	case "$a" in
	ok) binds_ok=$((binds_ok + 1)); [ "$1" = tcp ] && listens=$((listens + 1)) ;;
	"err 98") if [ "$1" = tcp ]; then fail_tcp=$((fail_tcp + 1)); else fail_udp=$((fail_udp + 1)); fi ;;
	*) bad "bind $1 $2" "unexpected answer '$a'" ;;
	esac
}
act tcp "$p1"; act tcp "$p1"; act tcp "$p1"
act udp "$p2"; act udp "$p2"
# 10256 is kube-proxy's healthz port: a bind by fleet-binder is a claim
# (another test on this machine may hold it a moment: wait for it)
for i in $(seq 1 50); do
	[ -z "$(ss -Htan 'sport = :10256')" ] && break
	sleep 0.2
done
a=$(say tcp 10256)
if [ "$a" = ok ]; then
	binds_ok=$((binds_ok + 1)) listens=$((listens + 1)) claim=1
else	# the agent saw a failed bind: count it, and say the claim went untested
	[ "$a" = "err 98" ] && fail_tcp=$((fail_tcp + 1))
	skp "claim bind" "10256 stayed busy (another process holds it): $a"
fi
a=$(say closeall)
closes=${a#ok }

declare -A want=(
	['bindwatch_events_total{event="bind",result="ok"}']=$binds_ok
	['bindwatch_events_total{event="bind",result="failed"}']=$((fail_tcp + fail_udp))
	['bindwatch_events_total{event="listen",result="ok"}']=$listens
	['bindwatch_events_total{event="listen",result="failed"}']=0
	['bindwatch_events_total{event="close",result="ok"}']=$closes
	['bindwatch_bind_failures_total{errno="EADDRINUSE",proto="tcp"}']=$fail_tcp
	['bindwatch_bind_failures_total{errno="EADDRINUSE",proto="udp"}']=$fail_udp
	['bindwatch_ring_dropped_total']=0
)
if [ $claim = 1 ]; then
	want['bindwatch_claim_binds_total{service="kube-proxy-healthz"}']=1
	want['bindwatch_claim_binds_total{service="laserfiche-eventhub"}']=1
fi
end=$(($(date +%s) + 20))
while :; do
	diffs=""
	for k in "${!want[@]}"; do
		got=$(promq "$k")
		[ "$got" = "${want[$k]}" ] || diffs+=" $k=$got (want ${want[$k]})"
	done
	[ -z "$diffs" ] || [ "$(date +%s)" -ge "$end" ] && break
	sleep 1
done
if [ -z "$diffs" ]; then
	ok "Prometheus's counters equal what the test did (${#want[@]} series)"
else
	bad "Prometheus's counters equal what the test did" "$diffs"
fi
# the evidence, as Prometheus returned it
curl -s -m 5 --data-urlencode 'query=bindwatch_events_total{event="bind"} or bindwatch_bind_failures_total or bindwatch_claim_binds_total' \
	"http://127.0.0.1:$pport/api/v1/query" > "$work/query.json"
echo "Prometheus /api/v1/query returned: $(cat "$work/query.json")"

scrape "$work/page.txt"
if out=$(promtool check metrics < "$work/page.txt" 2>&1) && [ -z "$out" ]; then
	ok "promtool check metrics is clean"
else
	bad "promtool check metrics is clean" "$out"
fi
if grep -q "^bindwatch_build_info{version=\"$(cat VERSION)\",backend=\"cgroup" "$work/page.txt" ||
   grep -q "^bindwatch_build_info{version=\"$(cat VERSION)\",backend=\"fentry\"} 1" "$work/page.txt"; then
	ok "build_info names the version and backend"
else
	bad "build_info names the version and backend" "$(grep build_info "$work/page.txt")"
fi

# --- abuse: 100 slow clients, garbage, two scrapers hammering, and a storm
delay_ms() {	# bind port $1 once; ms until /metrics counts it
	local before t0 n
	scrape "$work/d.txt"
	before=$(sample "$work/d.txt" 'bindwatch_events_total{event="bind",result="ok"}')
	t0=$(now_ms)
	[ "$(say tcp "$1")" = ok ] || { echo 99999; return; }
	while [ $(($(now_ms) - t0)) -lt 5000 ]; do
		scrape "$work/d.txt"
		n=$(sample "$work/d.txt" 'bindwatch_events_total{event="bind",result="ok"}')
		[ "$n" -gt "$before" ] && break
		sleep 0.01
	done
	echo $(($(now_ms) - t0))
	say closeall >/dev/null
}
quiet_delay=$(delay_ms "$p3")
"$BINDER" slow "$mport" 100 8 > "$work/slow.out" 2>&1 &
slowpid=$!
pids+=("$slowpid")
for i in 1 2; do
	( while :; do curl -s -m 2 -o /dev/null "http://127.0.0.1:$mport/metrics"; done ) &
	pids+=($!)
done
sleep 1
scrape "$work/before.txt"
storm_n=20000
a=$(say storm $storm_n)
storm_done=${a#ok }
busy_delay=$(delay_ms "$p3")
hz=$(curl -s -m 2 -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$mport/healthz")
# the accounting: every event the storm caused is delivered or counted
# dropped: 3 per cycle (bind, listen, close) plus the delay probe's bind, listen, close
total() { awk '$1 ~ /^bindwatch_events_total\{/ { n += $2 } END { print n + 0 }' "$1"; }
key_d='bindwatch_ring_dropped_total'
end=$(($(date +%s) + 15))
while :; do
	scrape "$work/after.txt"
	de=$(($(total "$work/after.txt") - $(total "$work/before.txt")))
	dd=$(($(sample "$work/after.txt" "$key_d") - $(sample "$work/before.txt" "$key_d")))
	[ $((de + dd)) -ge $((3 * storm_done + 3)) ] && break
	[ "$(date +%s)" -ge "$end" ] && break
	sleep 0.5
done
wait "$slowpid" 2>/dev/null
echo "storm under a flood: $storm_done bind+listen+close cycles; events delivered $de, dropped (ring) $dd, expected $((3 * storm_done + 3)); bind-to-counter delay ${quiet_delay} ms quiet, ${busy_delay} ms flooded; healthz '$hz'; $(cat "$work/slow.out")"
if [ "$storm_done" = $storm_n ] && [ $((de + dd)) = $((3 * storm_done + 3)) ]; then
	ok "storm accounting holds with scrapers hammering /metrics"
else
	bad "storm accounting holds with scrapers hammering /metrics" \
		"made $storm_done cycles, delivered $de + dropped $dd != $((3 * storm_done + 3))"
fi
if [ "${hz%% *}" = 200 ] && [ "$busy_delay" -lt 1000 ]; then
	ok "100 slow clients and garbage do not delay events (${busy_delay} ms) or health (${hz#* } s)"
else
	bad "100 slow clients and garbage do not delay events" "delay ${busy_delay} ms, healthz '$hz'"
fi
grep -q "^slow: 100 connected" "$work/slow.out" ||
	bad "slow clients" "not all 100 connected: $(cat "$work/slow.out")"
for p in "${pids[@]:3}"; do kill "$p" 2>/dev/null; done
if [ "$(promq 'up{job="bindwatch"}')" = 1 ]; then
	ok "Prometheus still scrapes the agent after the flood"
else
	bad "Prometheus still scrapes the agent after the flood" "up = $(promq 'up{job="bindwatch"}')"
fi
kill -TERM "$agent"
wait "$agent"
rc=$?
if [ $rc = 0 ] && tail -1 "$work/agent.out" | grep -q '"event":"summary"'; then
	ok "agent stops cleanly (exit 0, summary line)"
else
	bad "agent stops cleanly" "exit $rc, last line: $(tail -1 "$work/agent.out" | cut -c1-200)"
fi

# --- the image under podman, with the DaemonSet's pod spec
container_stage() {
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
		skp "image under podman" "podman or runc is not installed"
		return
	fi
	if ! podman --runtime runc info >/dev/null 2>&1; then
		skp "image under podman" "podman cannot run here: $(podman --runtime runc info 2>&1 | tail -1)"
		return
	fi
	image="localhost/bindwatch-fleet-test:$$"
	if ! deploy/stage.sh "$AGENT" "$work/image" >/dev/null ||
	   ! podman build -q -t "$image" -f deploy/Containerfile "$work/image" >"$work/build.log" 2>&1; then
		bad "podman build" "$(tail -3 "$work/build.log")"
		return
	fi
	ok "podman build from scratch ($(wc -l < "$work/image/rootfs/usr/share/doc/bindwatch/libraries.txt") libraries from ldd)"
	# the capabilities come from the manifest itself, so the two cannot drift
	caps=$(sed -n 's/^ *add: \[\(.*\)\]/\1/p' deploy/daemonset.yaml | tr -d ' ')
	[ -n "$caps" ] || { bad "caps" "no capabilities found in deploy/daemonset.yaml"; return; }
	local vols=() d
	mkdir -p "$work/clog"
	for d in /var/lib/docker/containers /var/log/pods; do
		[ -d "$d" ] && vols+=(-v "$d:$d:ro")
	done
	[ -d /run/netns ] && vols+=(-v /run/netns:/run/netns:ro,rslave)
	ctr="bwfleet-$$"
	# hostPID, hostNetwork, cgroupns host (a DaemonSet on a cgroup-v1/hybrid
	# node has no cgroup namespace); podman raises nproc past what these caps
	# may set, so the limits are given explicitly (Kubernetes sets none)
	if ! podman --runtime runc run -d --name "$ctr" --pid=host --network=host --cgroupns=host \
		--ulimit nofile=4096:4096 --ulimit nproc=1024:1024 \
		--cap-drop=all --cap-add="$caps" --read-only \
		-v /sys/fs/cgroup:/sys/fs/cgroup:ro -v /sys/kernel/btf:/sys/kernel/btf:ro "${vols[@]}" \
		-v "$work/clog:/var/log/bindwatch" \
		-e NODE_NAME="$(hostname)" \
		"$image" daemon --json --metrics "127.0.0.1:$cport" --log-dir /var/log/bindwatch \
		--flush-ms 200 --pid "$bpid" >"$work/run.log" 2>&1; then
		bad "podman run" "$(tail -3 "$work/run.log")"
		return
	fi
	if ! wait_http "http://127.0.0.1:$cport/healthz" 200 30; then
		bad "container healthz" "$(podman logs "$ctr" 2>&1 | tail -5)"
		return
	fi
	ok "container (runc, caps $caps, not privileged) answers /healthz 200"
	[ "$(say tcp "$p5")" = ok ] || { bad "host bind" "binder could not bind $p5"; return; }
	say closeall >/dev/null
	local line="" end=$(($(date +%s) + 10))
	while [ -z "$line" ] && [ "$(date +%s)" -lt "$end" ]; do
		line=$(podman logs "$ctr" 2>/dev/null | grep '"event":"bind"' | grep "\"port\":$p5," | head -1)
		sleep 0.3
	done
	if echo "$line" | grep -q "\"pid\":$bpid,"; then
		ok "inside the container the agent sees the host's bind and names its host pid ($bpid)"
	else
		bad "container sees the host bind" "no bind of port $p5 by pid $bpid on its stdout: $line"
	fi
	end=$(($(date +%s) + 10))
	until grep -q "\"port\":$p5," "$work/clog/bindwatch.log" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; do
		sleep 0.3
	done
	if [ "$(grep '"event":"bind"' "$work/clog/bindwatch.log" | grep -c "\"pid\":$bpid,.*\"port\":$p5,")" -gt 0 ] &&
	   "$AGENT" log verify "$work/clog" >"$work/verify.out" 2>&1; then
		ok "the sealed log is on the host path and verifies ($(cat "$work/verify.out"))"
	else
		bad "sealed log on the host path" "$(ls -la "$work/clog"; cat "$work/verify.out")"
	fi
	podman --runtime runc stop -t 10 "$ctr" >/dev/null 2>&1
	podman logs "$ctr" > "$work/ctr.stdout" 2>/dev/null
	if tail -1 "$work/ctr.stdout" | grep -q '"event":"summary"'; then
		ok "SIGTERM from podman stop: summary line"
	else
		bad "podman stop" "no summary: $(podman logs "$ctr" 2>&1 | tail -2)"
	fi
}
container_stage

# The manifest itself through `podman kube play`: its pod template as a Pod,
# changed only where podman cannot follow it (said at each change).  podman
# 4.3 honours hostNetwork, capabilities, mounts, readOnlyRootFilesystem,
# env and args, but not hostPID (the pod gets its own pid namespace), which
# is why the run above uses the same flags by hand.
kube_stage() {
	[ -n "$image" ] || return 0	# the stage above said why
	if ! command -v catatonit >/dev/null; then
		skp "podman kube play" "catatonit is not installed (podman builds its pause image from it; tools/setup.sh installs it)"
		return
	fi
	local pause had_pause t="$work/kube"
	mkdir -p "$t/log"
	pause="localhost/podman-pause:$(podman version --format '{{.Client.Version}}')-0"
	podman image exists "$pause" && had_pause=1 || had_pause=""
	# the template, as a Pod: the manifest's lines under "template:", less 4 spaces
	awk 'BEGIN { print "apiVersion: v1\nkind: Pod" } f { sub(/^    /, ""); print } /^  template:/ { f = 1 }' \
		deploy/daemonset.yaml |
	# the downward API's status.hostIP and spec.nodeName: podman has neither
	awk -v node="$(hostname)" 'skip > 0 { skip--; next }
		/- name: (HOST_IP|NODE_NAME)/ { v = /HOST_IP/ ? "127.0.0.1" : node; sub(/ *#.*/, ""); print
			sub(/- name: .*/, "  value: " v); print; skip = 3; next } { print }' |
	# podman expands no $(VAR) in args; ports: podman refuses them with hostNetwork;
	# the image under test, a free port, the log in the test's folder
	sed -e "s|^metadata:|metadata:\n  name: bwkube-$$|" \
	    -e "s|\"\$(HOST_IP):24630\"|\"127.0.0.1:$kport\", \"--pid\", \"$bpid\"|" \
	    -e "s|image: localhost/bindwatch:.*|image: $image|" \
	    -e "s|path: /var/log/bindwatch,|path: $t/log,|" \
	    -e '/^      ports:/,/protocol: TCP/d' > "$t/pod.yaml"
	# Kubernetes sets no rlimits; podman raises nproc past what these caps may
	printf '[containers]\ndefault_ulimits = ["nproc=1024:1024", "nofile=4096:4096"]\n' > "$t/containers.conf"
	kpod="bwkube-$$"
	[ -n "$had_pause" ] || pause_made=$pause
	# (from $t: kube play builds images from folders named like them in the cwd)
	if ! (cd "$t" && CONTAINERS_CONF="$t/containers.conf" podman --runtime runc kube play pod.yaml) \
		>"$t/play.log" 2>&1; then
		bad "podman kube play" "$(tail -3 "$t/play.log")"
		return
	fi
	if ! wait_http "http://127.0.0.1:$kport/healthz" 200 30; then
		bad "podman kube play: healthz" "$(podman logs "$kpod-bindwatch" 2>&1 | tail -3)"
		return
	fi
	[ "$(say tcp "$p5")" = ok ] && say closeall >/dev/null
	local end=$(($(date +%s) + 10))
	until grep -q "\"port\":$p5," "$t/log/bindwatch.log" 2>/dev/null || [ "$(date +%s)" -ge "$end" ]; do
		sleep 0.3
	done
	# (files and grep -c: grep -q leaving early would fail a pipe under pipefail)
	podman logs "$kpod-bindwatch" > "$t/stdout" 2>&1
	if [ "$(grep '"event":"bind"' "$t/log/bindwatch.log" 2>/dev/null | grep -c "\"pid\":$bpid,.*\"port\":$p5,")" -gt 0 ] &&
	   [ "$(grep '"event":"bind"' "$t/stdout" | grep -c "\"pid\":$bpid,.*\"port\":$p5,")" -gt 0 ]; then
		ok "podman kube play of the manifest's pod template: healthz 200, the host's bind on stdout and in the hostPath log"
	else
		bad "podman kube play" "no bind of $p5 by $bpid: $(grep -c . "$t/stdout") lines on stdout, $(grep -c . "$t/log/bindwatch.log") in the log"
	fi
}
kube_stage
finish
