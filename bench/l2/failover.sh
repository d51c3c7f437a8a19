#!/usr/bin/env bash
# L2 failover bench: three lab nodes (tests/L2Fallback.LabNode: liveness + election + announcer)
# and a client on one bridge, all in network namespaces named bgplbl-bench-*. For each kind of cut
# (SIGKILL of the owner's process; the owner's link set down) it repeats RUNS times:
#   cut -> the new owner's first gratuitous ARP ("announced" line of the lab node), and
#   cut -> the client's neighbour entries for both VIPs hold the new owner's MAC (ip neigh, polled every ~5 ms),
# then restores the owner and waits for the cluster to settle back. Prints every run, then median and max.
# Needs root, iproute2, iputils-ping; usage: bench/l2/failover.sh [RUNS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/l2/segment.sh
RUNS=${1:-10}
P=bgplbl-bench
VIP4=198.18.9.10 VIP6=2001:db8:ffff::9:10
KEY=0123456789abcdef0123456789abcdef
WORK=$(mktemp -d)

cleanup() {
  for pid in $(cat "$WORK"/pid.* 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  remove_segment
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup; WORK=$(mktemp -d)

dotnet build tests/L2Fallback.LabNode -c Release -nologo -v quiet >/dev/null
DLL=$PWD/tests/L2Fallback.LabNode/bin/Release/net10.0/BgpLb.L2Fallback.LabNode.dll

make_segment

start_node() {
  local n=$1
  # The lab node stops at the end of its standard input: hold a fifo open with a sleep we can kill.
  rm -f "$WORK/in.$n"; mkfifo "$WORK/in.$n"
  sleep 100000 > "$WORK/in.$n" 2>/dev/null &
  echo $! > "$WORK/pid.sleep.$n"; disown $!
  ip netns exec $P-$n dotnet "$DLL" --node $n --listen 198.51.100.1${n#n}:7946 \
    --member n1=198.51.100.11:7946 --member n2=198.51.100.12:7946 --member n3=198.51.100.13:7946 \
    --key $KEY --vip $VIP4,$VIP6 < "$WORK/in.$n" >> "$WORK/log.$n" 2>&1 &
  echo $! > "$WORK/pid.$n"; disown $!   # no "Killed" job notices when the bench kills it
}
owned_last() { grep '^owned' "$WORK/log.$1" | tail -n 1; }
# Settled: only $1 owns the VIPs (last "owned" lines) and no node printed anything for 1.5 s.
settle() {
  local owner=$1 deadline=$(( $(now) + 30000 )) last=0 quiet_since
  quiet_since=$(now)
  while [ "$(now)" -lt $deadline ]; do
    local lines; lines=$(cat "$WORK"/log.* | wc -l)
    [ "$lines" != "$last" ] && { last=$lines; quiet_since=$(now); }
    local ok=1
    for n in n1 n2 n3; do
      if [ $n = "$owner" ]; then owned_last $n | grep -q "$VIP4" || ok=0; else owned_last $n | grep -q "$VIP4" && ok=0; fi
    done
    [ $ok = 1 ] && [ $(( $(now) - quiet_since )) -gt 1500 ] && return 0
    sleep 0.1
  done
  echo "did not settle on $owner" >&2; tail -n 5 "$WORK"/log.* >&2; exit 1
}

for n in n1 n2 n3; do start_node $n; done
sleep 1
# Owner and next in MetalLB's order: sha256(node#ip) of the Service's first address.
read -r OWNER NEXT _ < <(election_order $VIP4)
echo "owner $OWNER ($(mac $OWNER)), next $NEXT ($(mac $NEXT))"
NEXT_MAC=$(mac $NEXT)

declare -A garp client
for kind in kill linkdown; do
  for run in $(seq 1 "$RUNS"); do
    settle $OWNER
    ip netns exec $P-client ping -c 1 -W 1 $VIP4 >/dev/null 2>&1 || true
    ip netns exec $P-client ping -6 -c 1 -W 1 $VIP6 >/dev/null 2>&1 || true
    sleep 1.2   # past Linux's ARP locktime since the entry was last updated
    t0=$(now)
    if [ $kind = kill ]; then kill -9 "$(cat "$WORK/pid.$OWNER")"; else ip -n $P-$OWNER link set eth0 down; fi
    while [ "$(neigh $VIP4)" != "$NEXT_MAC" ] || [ "$(neigh $VIP6)" != "$NEXT_MAC" ]; do
      [ $(( $(now) - t0 )) -gt 10000 ] && { echo "run $run: client never moved" >&2; exit 1; }
    done
    t_client=$(( $(now) - t0 ))
    sleep 0.2
    # The first IPv4 announcement the next owner logged at or after the cut.
    t_garp=$(awk -v t0="$t0" '$1 == "announced" && $2 ~ /^198/ && $4 >= t0 {print $4 - t0; exit}' "$WORK/log.$NEXT")
    echo "$kind run $run: first GARP $t_garp ms, client entries moved $t_client ms"
    garp[$kind]+="$t_garp "; client[$kind]+="$t_client "
    if [ $kind = kill ]; then kill "$(cat "$WORK/pid.sleep.$OWNER")"; start_node $OWNER; else ip -n $P-$OWNER link set eth0 up; fi
  done
done
echo
for kind in kill linkdown; do
  echo "$kind: cut -> new owner's first GARP: $(echo "${garp[$kind]}" | stats); cut -> client's neighbour entries: $(echo "${client[$kind]}" | stats)"
done
