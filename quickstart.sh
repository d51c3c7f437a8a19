#!/usr/bin/env bash
# The README's main command: BgpLb announcing three Services' VIPs to a real router, on one machine.
#
# A router (BIRD 2, AS 64512, 203.0.113.1) and a node (203.0.113.2) in two network namespaces joined
# by a veth; `bgplb run --config examples/quickstart.yaml` in the node namespace; the VIPs printed as
# BIRD received them; then SIGTERM and BIRD's view of our shutdown message; then everything removed.
# Run as root on Debian 12 with the .NET SDK: installs bird2 when it is missing. Nothing is added to
# this machine's own network namespace: all addresses and sessions live in the two namespaces.
set -euo pipefail
cd "$(dirname "$0")"

readonly router_ns=bgplbq-router node_ns=bgplbq-node
readonly router_ip=203.0.113.1 node_ip=203.0.113.2
readonly config=examples/quickstart.yaml
readonly dll=src/Daemon/bin/Release/net10.0/bgplb.dll
readonly vip_count=3 wait_seconds=60

say() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nquickstart: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run me as root: I create network namespaces and start BIRD in one"
command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK is missing (dotnet not on PATH): install the .NET 10 SDK"
command -v ip >/dev/null 2>&1 || fail "ip is missing: apt-get install iproute2"

if ! command -v bird >/dev/null 2>&1 || ! command -v birdc >/dev/null 2>&1; then
  say "installing bird2 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # RUNLEVEL=1: do not start the system's BIRD service; the quickstart runs its own in a namespace.
  RUNLEVEL=1 apt-get install -y -qq bird2 >/dev/null
fi

remove_namespaces() {
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep '^bgplbq-' || true); do
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

tmp=""
daemon_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$daemon_pid" ]; then kill -9 "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$tmp" ] && [ -f "$tmp/bird.pid" ]; then kill "$(cat "$tmp/bird.pid")" 2>/dev/null || true; fi
  remove_namespaces
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "quickstart: interrupted" >&2; exit 130' INT TERM

# A crashed or interrupted earlier run may have left its namespaces behind.
remove_namespaces

say "building the daemon: dotnet build src/Daemon -c Release"
dotnet build src/Daemon -c Release -nologo -v quiet || fail "the daemon does not build (output above)"
[ -f "$dll" ] || fail "the build did not produce $dll"

tmp=$(mktemp -d /tmp/bgplbq.XXXXXX)

say "network: $router_ns ($router_ip/24) <-veth-> $node_ns ($node_ip/24)"
ip netns add "$router_ns"
ip netns add "$node_ns"
ip -n "$router_ns" link add r0 type veth peer name n0 netns "$node_ns"
ip -n "$router_ns" addr add "$router_ip/24" dev r0
ip -n "$node_ns" addr add "$node_ip/24" dev n0
for ns in "$router_ns" "$node_ns"; do
  ip -n "$ns" link set lo up
done
ip -n "$router_ns" link set r0 up
ip -n "$node_ns" link set n0 up

say "router: BIRD 2 in $router_ns, AS 64512, waiting for AS 4200000001 at $node_ip"
# Passive: the daemon opens the session (BGPPeer peerAddress). Import everything, export nothing,
# and no kernel protocol: the router only shows what it learned, it installs nothing.
cat >"$tmp/bird.conf" <<EOF
router id $router_ip;
log "$tmp/bird.log" all;
protocol device { }
protocol bgp bgplb {
  local $router_ip as 64512;
  neighbor $node_ip as 4200000001;
  passive on;
  hold time 9;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
EOF
birdc() { command birdc -s "$tmp/bird.ctl" "$@"; }
ip netns exec "$router_ns" bird -c "$tmp/bird.conf" -s "$tmp/bird.ctl" -P "$tmp/bird.pid" \
  || fail "BIRD did not start: $(cat "$tmp/bird.log" 2>/dev/null)"

say "daemon: bgplb run --config $config --state $tmp/state.json (in $node_ns)"
ip netns exec "$node_ns" dotnet "$dll" run --config "$config" --state "$tmp/state.json" --admin-socket "$tmp/admin.sock" >"$tmp/bgplb.log" 2>&1 &
daemon_pid=$!

routes() {
  { birdc show route count protocol bgplb 2>/dev/null || true; } | awk '/routes for/ {print $1; exit}'
}
count=0
for _ in $(seq 1 $((wait_seconds * 2))); do
  kill -0 "$daemon_pid" 2>/dev/null || break
  count=$(routes)
  [ "${count:-0}" -ge "$vip_count" ] && break
  sleep 0.5
done
if [ "${count:-0}" -lt "$vip_count" ]; then
  echo
  echo "--- daemon log ($tmp/bgplb.log) ---" >&2
  cat "$tmp/bgplb.log" >&2
  echo "--- BIRD: show protocols all bgplb ---" >&2
  birdc show protocols all bgplb >&2 || true
  if kill -0 "$daemon_pid" 2>/dev/null; then
    fail "BIRD holds ${count:-0} of the $vip_count VIPs after ${wait_seconds} s"
  fi
  wait "$daemon_pid" && rc=0 || rc=$?
  daemon_pid=""
  fail "the daemon exited (code $rc) before BIRD held the $vip_count VIPs (${count:-0})"
fi

say "the daemon's log so far ($tmp/bgplb.log)"
cat "$tmp/bgplb.log"

say "Service -> VIP, as the daemon allocated them"
sed -n 's/.*\[Allocation\] Service \([^:]*\): assigned \(.*\) from pool \(.*\)$/  \1 -> \2 (pool \3)/p' "$tmp/bgplb.log"

say "BIRD received the $vip_count VIPs: birdc show route all protocol bgplb"
birdc show route all protocol bgplb

say "stopping the daemon: SIGTERM"
kill -TERM "$daemon_pid"
rc=""
for _ in $(seq 1 40); do
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    wait "$daemon_pid" && rc=0 || rc=$?
    break
  fi
  sleep 0.25
done
[ -n "$rc" ] || fail "the daemon still runs 10 s after SIGTERM"
daemon_pid=""
echo "bgplb exited with code $rc"

say "BIRD: show protocols all bgplb (the session closed with our shutdown message)"
for _ in $(seq 1 20); do
  birdc show protocols all bgplb | grep -q 'Administrative shutdown' && break
  sleep 0.25
done
birdc show protocols all bgplb | grep -E '^Name|^bgplb|Message:|Last error:'
[ "$rc" -eq 0 ] || fail "the daemon exited with code $rc after SIGTERM, expected 0"

say "done: namespaces, BIRD and $tmp are removed on exit"
