#!/usr/bin/env bash
# capture-bfd-vectors.sh - BFD Control packets from real BIRD 2 and FRR bfdd, as hex vectors.
#
# Usage (root, Debian 12 with bird2, frr, tcpdump, tshark): tests/interop/capture-bfd-vectors.sh
#
# Two namespaces (bgplbf-cap-a / -b, 203.0.113.1/.2 on one veth pair) run BIRD <-> FRR bfdd
# (50 ms x 3, no authentication; FRR 8.4 has none) and BIRD <-> BIRD with each RFC 5880
# authentication type. tcpdump records UDP 3784 in namespace a; tshark's own BFD dissector
# decodes every packet, and one packet per (sender, state, P, F, auth type) is written to
# tests/BfdSession.Tests/Vectors/captured/<sender>-<what>.hex with tshark's field values in a
# '# tshark:' comment. CapturedVectorTests decodes each vector with our reader, compares every
# field to tshark's, re-encodes it byte for byte, and checks the digest with the key below.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/tests/BfdSession.Tests/Vectors/captured
work=$(mktemp -d /tmp/bgplbf-cap.XXXXXX)
A=bgplbf-cap-a
B=bgplbf-cap-b
SECRET=bgplb-secret
KEYID=7

cleanup() {
  for ns in $A $B; do { ip netns pids $ns 2>/dev/null || true; } | xargs -r kill -9; ip netns del $ns 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
cleanup
work=$(mktemp -d /tmp/bgplbf-cap.XXXXXX)
chmod 755 "$work" # FRR's daemons run as user frr
ip netns add $A
ip netns add $B
ip -n $A link add a0 type veth peer name b0 netns $B
ip -n $A addr add 203.0.113.1/24 dev a0
ip -n $B addr add 203.0.113.2/24 dev b0
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set a0 up
ip -n $B link set b0 up

bird_conf() { # dir iface local peer auth
  cat <<CONF
router id $3;
protocol device { }
protocol bfd {
  interface "$2" { min rx interval 50 ms; min tx interval 50 ms; idle tx interval 1000 ms; multiplier 3; $5 };
  neighbor $4 dev "$2" local $3;
}
CONF
}

capture() { # name seconds
  ip netns exec $A tcpdump -i a0 -U -w "$work/$1.pcap" udp port 3784 >/dev/null 2>&1 &
  local pid=$!
  sleep 0.5
  "${@:3}"
  sleep "$2"
  kill $pid; wait $pid 2>/dev/null || true
}

start_bird() { # ns name conf
  mkdir -p "$work/$2"
  echo "$3" >"$work/$2/bird.conf"
  ip netns exec "$1" bird -c "$work/$2/bird.conf" -s "$work/$2/bird.ctl" -P "$work/$2/bird.pid"
}
stop_bird() { kill -9 "$(cat "$work/$1/bird.pid")" 2>/dev/null || true; }

# ---- BIRD (a) <-> FRR bfdd (b), no authentication
start_frr() {
  mkdir -p "$work/frr"
  printf 'hostname cap\n' >"$work/frr/zebra.conf"
  cat >"$work/frr/bfdd.conf" <<CONF
hostname cap
bfd
 peer 203.0.113.1 local-address 203.0.113.2 interface b0
  receive-interval 50
  transmit-interval 50
  detect-multiplier 3
 exit
exit
CONF
  chown -R frr:frr "$work/frr"
  local common="--vty_socket $work/frr -P 0 -z $work/frr/zserv.api -u frr -g frr"
  ip netns exec $B /usr/lib/frr/zebra -d -f "$work/frr/zebra.conf" -i "$work/frr/zebra.pid" $common
  for _ in $(seq 1 100); do [ -S "$work/frr/zserv.api" ] && break; sleep 0.05; done
  ip netns exec $B /usr/lib/frr/bfdd -d -f "$work/frr/bfdd.conf" -i "$work/frr/bfdd.pid" --bfdctl "$work/frr/bfdd.sock" $common
}
both_plain() { start_bird $A birda "$(bird_conf x a0 203.0.113.1 203.0.113.2 "")"; start_frr; }
capture plain 4 both_plain
stop_bird birda
kill -9 "$(cat "$work/frr/bfdd.pid")" "$(cat "$work/frr/zebra.pid")" 2>/dev/null || true

# ---- BIRD <-> BIRD with each authentication type
for auth in "simple" "keyed md5" "meticulous keyed md5" "keyed sha1" "meticulous keyed sha1"; do
  tag=${auth// /-}
  conf="authentication $auth; password \"$SECRET\" { id $KEYID; };"
  both_auth() {
    start_bird $A "a-$tag" "$(bird_conf x a0 203.0.113.1 203.0.113.2 "$conf")"
    start_bird $B "b-$tag" "$(bird_conf x b0 203.0.113.2 203.0.113.1 "$conf")"
  }
  capture "auth-$tag" 3 both_auth
  stop_bird "a-$tag"
  stop_bird "b-$tag"
done

mkdir -p "$out"
rm -f "$out"/*.hex
fields=(bfd.version bfd.diag bfd.sta bfd.flags.p bfd.flags.f bfd.flags.c bfd.flags.a bfd.flags.d bfd.flags.m
        bfd.detect_time_multiplier bfd.message_length bfd.my_discriminator bfd.your_discriminator
        bfd.desired_min_tx_interval bfd.required_min_rx_interval bfd.required_min_echo_interval
        bfd.auth.type bfd.auth.len bfd.auth.key bfd.auth.seq_num)
args=()
for f in "${fields[@]}"; do args+=(-e "$f"); done
cat >"$work/extract.py" <<'PY'
import sys
name, out, secret, keyid, fields = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
who = {"203.0.113.1": "bird", "203.0.113.2": "frr" if name == "plain" else "bird"}
seen = set()
for line in sys.stdin:
    parts = line.rstrip("\n").split("|")
    src, sport, ttl, payload, values = parts[0], parts[1], parts[2], parts[3], parts[4:]
    v = dict(zip(fields, values))
    flags = ("P" if v["bfd.flags.p"] in ("1", "True") else "") + ("F" if v["bfd.flags.f"] in ("1", "True") else "")
    states = {"0": "admindown", "1": "down", "2": "init", "3": "up"}
    key = (src, v["bfd.sta"], flags, v["bfd.auth.type"])
    if key in seen:
        continue
    seen.add(key)
    sender = who[src] + ("" if name == "plain" else "-" + ("a" if src.endswith(".1") else "b"))
    state = states.get(str(int(v["bfd.sta"], 0)), v["bfd.sta"])
    fname = f"{out}/{sender}-{name}-{state}{('-' + flags.lower()) if flags else ''}.hex"
    with open(fname, "w") as f:
        f.write(f"# Captured by tests/interop/capture-bfd-vectors.sh: {who[src]} ({'BIRD 2.0.12' if who[src] == 'bird' else 'FRR 8.4.4 bfdd'}) -> UDP 3784 from {src}:{sport}, TTL {ttl}, scenario {name}\n")
        if name != "plain":
            f.write(f"# key: id {keyid}, secret {secret}\n")
        f.write("# tshark: " + " ".join(f"{k}={v[k]}" for k in fields) + "\n")
        for i in range(0, len(payload), 32):
            f.write(" ".join(payload[j:j + 2] for j in range(i, min(i + 32, len(payload)), 2)) + "\n")
    print(fname)
PY
for pcap in "$work"/*.pcap; do
  name=$(basename "$pcap" .pcap)
  tshark -r "$pcap" -Y bfd -T fields -E separator='|' -E occurrence=f -e ip.src -e udp.srcport -e ip.ttl -e udp.payload "${args[@]}" 2>/dev/null |
    python3 "$work/extract.py" "$name" "$out" "$SECRET" "$KEYID" "${fields[@]}"
done
