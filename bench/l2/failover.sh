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
RUNS=${1:-10}
P=bgplbl-bench
VIP4=198.18.9.10 VIP6=2001:db8:ffff::9:10
KEY=0123456789abcdef0123456789abcdef
WORK=$(mktemp -d)

cleanup() {
  for pid in $(cat "$WORK"/pid.* 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  for n in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns pids "$n" | xargs -r kill -9; ip netns del "$n"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup; WORK=$(mktemp -d)

dotnet build tests/L2Fallback.LabNode -c Release -nologo -v quiet >/dev/null
DLL=$PWD/tests/L2Fallback.LabNode/bin/Release/net10.0/BgpLb.L2Fallback.LabNode.dll

ip netns add $P-sw; ip -n $P-sw link add br0 type bridge; ip -n $P-sw link set br0 up
i=0
for h in client n1 n2 n3; do
  ip netns add $P-$h
  ip -n $P-$h link add eth0 type veth peer name p$i netns $P-sw
  ip -n $P-sw link set p$i master br0 up
  a=1; [ $h != client ] && a=1${h#n}
  ip -n $P-$h addr add 198.51.100.$a/24 dev eth0
  ip -n $P-$h -6 addr add 2001:db8:2::$a/64 dev eth0 nodad
  ip -n $P-$h link set lo up; ip -n $P-$h link set eth0 up
  i=$((i+1))
done
ip -n $P-client route add 198.18.0.0/15 dev eth0
ip -n $P-client -6 route add 2001:db8:ffff::/48 dev eth0
for h in n1 n2 n3; do ip -n $P-$h route add default dev eth0; ip -n $P-$h -6 route add default dev eth0; done
mac() { ip -n $P-$1 -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
neigh() { ip -n $P-client neigh show "$1" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
now() { date +%s%3N; }

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
read -r OWNER NEXT _ < <(for n in n1 n2 n3; do printf '%s %s\n' "$(printf '%s' "$n#$VIP4" | sha256sum | cut -c1-64)" $n; done | sort | awk '{printf "%s ", $2} END {print ""}')
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
stats() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "median %s ms, max %s ms (n=%d)", m, a[NR], NR}'; }
echo
for kind in kill linkdown; do
  echo "$kind: cut -> new owner's first GARP: $(echo "${garp[$kind]}" | stats); cut -> client's neighbour entries: $(echo "${client[$kind]}" | stats)"
done
