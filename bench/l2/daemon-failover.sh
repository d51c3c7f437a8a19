#!/usr/bin/env bash
# L2 failover bench of the daemon itself: three `bgplb run --node nI` processes on one shared config
# (three v1 Nodes, the memberlist Secret, an L2Advertisement, one dual-stack Service) and a client on
# one bridge, all in network namespaces named bgplbn-bench-*. Every node does what kube-proxy would:
# nft DNAT of VIP:80 to a local TCP listener on 8080 that answers with the node's name.
# For each kind of cut (SIGKILL of the owner's daemon; the owner silenced by nft, netdev ingress and
# egress drop) it repeats RUNS times:
#   cut -> the new owner's first gratuitous ARP (its "Announced ... (1 of 4)" log event),
#   cut -> the client's first TCP exchange with VIP:80 (IPv4 and IPv6) answered by the new owner
#          (a new connection every 10 ms, each bounded by 150 ms),
# checks the client's neighbour entries moved, then restores the owner (restart / nft table deleted) and waits until it serves again.
# Needs root, iproute2, nftables, python3; usage: bench/l2/daemon-failover.sh [RUNS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/l2/segment.sh
RUNS=${1:-10}
P=bgplbn-bench
VIP4=198.18.9.10 VIP6=2001:db8:ffff::9:10
WORK=$(mktemp -d)

cleanup() {
  remove_segment
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup; WORK=$(mktemp -d)

dotnet build src/Daemon -c Release -nologo -v quiet >/dev/null
DLL=$PWD/src/Daemon/bin/Release/net10.0/bgplb.dll
# The interpreter itself, not a version manager's shim (which adds a few hundred ms per start).
PY=$(python3 -c 'import sys; print(sys.executable)')

make_segment

{
  for n in n1 n2 n3; do
    printf 'apiVersion: v1\nkind: Node\nmetadata: { name: %s }\nstatus: { addresses: [{ type: InternalIP, address: 198.51.100.1%s }] }\n---\n' $n ${n#n}
  done
  cat <<EOF
apiVersion: v1
kind: Secret
metadata: { name: memberlist, namespace: bgplb-system }
stringData: { secretkey: 0123456789abcdef0123456789abcdef }
---
apiVersion: bgplb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan }
spec: { addresses: [$VIP4/32, $VIP6/128] }
---
apiVersion: bgplb.io/v1beta1
kind: L2Advertisement
metadata: { name: lan }
spec: { ipAddressPools: [lan] }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec: { type: LoadBalancer, ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6], ports: [{ port: 80 }] }
EOF
} > "$WORK/bgplb.yaml"

for n in n1 n2 n3; do
  ip netns exec $P-$n nft -f - <<EOF
table inet kubeproxy {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    ip daddr $VIP4 tcp dport 80 dnat ip to 198.51.100.1${n#n}:8080
    ip6 daddr $VIP6 tcp dport 80 dnat ip6 to [2001:db8:2::1${n#n}]:8080
  }
}
EOF
  ip netns exec $P-$n python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 8080)); s.listen(128)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()
' $n >/dev/null 2>&1 &
  disown $!
done

start_daemon() {
  ip netns exec $P-$1 dotnet "$DLL" run --config "$WORK/bgplb.yaml" --state "$WORK/$1.json" --node $1 --bgp-port 0 --admin-socket "$WORK/$1-admin.sock" \
    --log-format json --log-level Debug >> "$WORK/log.$1" 2>&1 &
  echo $! > "$WORK/pid.$1"; disown $!
}
# One TCP exchange from the client through VIP:80; prints the answering node's name (empty: none in 300 ms).
ask() { ip netns exec $P-client timeout 0.3 bash -c "exec 3<>/dev/tcp/$1/80 && head -c 2 <&3" 2>/dev/null || true; }
# Started before a cut: waits for the file $2 (the cut's unix ms), then tries TCP to both VIPs:80 until
# node $1 answers each (bounded by 10 s) and prints "IPV4_MS IPV6_MS" after the cut. A new connection
# every 10 ms per VIP, each given 150 ms, several in flight, so a try stuck on the dead owner does not
# hide a quicker success.
probe_tcp() {
  ip netns exec $P-client "$PY" - "$1" "$2" "$VIP4" "$VIP6" <<'EOF'
import os, selectors, socket, sys, time
node, start_file, vips = sys.argv[1], sys.argv[2], sys.argv[3:]
while not os.path.exists(start_file) or os.path.getsize(start_file) == 0:
    time.sleep(0.001)
t0 = int(open(start_file).read())
sel = selectors.DefaultSelector()
now = lambda: int(time.time() * 1000)
served, next_try = {}, {v: 0 for v in vips}
while len(served) < len(vips) and now() - t0 < 10000:
    for vip in vips:
        if vip not in served and time.monotonic() >= next_try[vip]:
            s = socket.socket(socket.AF_INET6 if ":" in vip else socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((vip, 80))
            sel.register(s, selectors.EVENT_READ, (vip, time.monotonic() + 0.15))
            next_try[vip] = time.monotonic() + 0.01
    for key, _ in sel.select(timeout=0.002):
        try:
            answer = key.fileobj.recv(16).decode()
        except OSError:
            answer = ""
        sel.unregister(key.fileobj); key.fileobj.close()
        if answer == node and key.data[0] not in served:
            served[key.data[0]] = now() - t0
    for key in list(sel.get_map().values()):
        if time.monotonic() > key.data[1]:
            sel.unregister(key.fileobj); key.fileobj.close()
print(" ".join(str(served.get(v, "never")) for v in vips))
EOF
}
# Served by $1 on both VIPs, with the client's entries on its MAC, for 2 s in a row (bounded: 60 s).
settle() {
  local owner=$1 deadline=$(( $(now) + 60000 )) since=""
  while [ "$(now)" -lt $deadline ]; do
    if [ "$(ask $VIP4)" = "$owner" ] && [ "$(ask $VIP6)" = "$owner" ] && [ "$(neigh $VIP4)" = "$(mac "$owner")" ]; then
      [ -z "$since" ] && since=$(now)
      [ $(( $(now) - since )) -gt 2000 ] && return 0
    else
      since=""
    fi
    sleep 0.2
  done
  echo "did not settle on $owner" >&2; tail -n 5 "$WORK"/log.* >&2; exit 1
}
# The first "announced VIP4 ... (1 of 4)" the node logged at or after $2 (unix ms), as ms after $2.
first_garp() {
  python3 - "$WORK/log.$1" "$2" "$VIP4" <<'EOF'
import json, sys, datetime
path, t0, vip = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for line in open(path):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "Announced" and f"announced {vip} " in e["message"] and "(1 of" in e["message"]:
        t = int(datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() * 1000)
        if t >= t0:
            print(t - t0); break
else:
    print("none")
EOF
}

for n in n1 n2 n3; do start_daemon $n; done
# Owner and next in MetalLB's order: sha256(node#ip) of the Service's first address.
read -r OWNER NEXT _ < <(election_order $VIP4)
echo "owner $OWNER ($(mac $OWNER)), next $NEXT ($(mac $NEXT))"
NEXT_MAC=$(mac $NEXT)

declare -A garp tcp4 tcp6
for kind in kill nft; do
  for run in $(seq 1 "$RUNS"); do
    settle $OWNER
    rm -f "$WORK/t0"; probe_tcp $NEXT "$WORK/t0" > "$WORK/tcp" &
    sleep 0.5   # the prober is up and waiting
    t0=$(now); echo $t0 > "$WORK/t0"
    if [ $kind = kill ]; then
      kill -9 "$(cat "$WORK/pid.$OWNER")"
    else
      ip netns exec $P-$OWNER nft -f - <<'EOF'
table netdev cut {
  chain in { type filter hook ingress device eth0 priority -500; policy drop; }
  chain out { type filter hook egress device eth0 priority -500; policy drop; }
}
EOF
    fi
    wait $!
    read -r t_tcp4 t_tcp6 < "$WORK/tcp"
    # Sanity: the client's neighbour entries did follow (TCP through the new owner implies the IPv4 one).
    while [ "$(neigh $VIP4)" != "$NEXT_MAC" ] || [ "$(neigh $VIP6)" != "$NEXT_MAC" ]; do
      [ $(( $(now) - t0 )) -gt 10000 ] && { echo "$kind run $run: client never moved" >&2; exit 1; }
    done
    t_garp=$(first_garp $NEXT "$t0")
    echo "$kind run $run: first GARP $t_garp ms, TCP via $NEXT: IPv4 $t_tcp4 ms, IPv6 $t_tcp6 ms"
    garp[$kind]+="$t_garp "; tcp4[$kind]+="$t_tcp4 "; tcp6[$kind]+="$t_tcp6 "
    if [ $kind = kill ]; then start_daemon $OWNER; else ip netns exec $P-$OWNER nft delete table netdev cut; fi
  done
done
echo
for kind in kill nft; do
  echo "$kind: cut -> first GARP: $(echo "${garp[$kind]}" | stats); cut -> TCP via new owner IPv4: $(echo "${tcp4[$kind]}" | stats); IPv6: $(echo "${tcp6[$kind]}" | stats)"
done
