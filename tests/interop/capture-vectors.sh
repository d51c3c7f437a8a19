#!/bin/bash
# capture-vectors.sh - capture golden BGP message vectors from real BGP speakers.
#
# Usage (root, Debian 12):  tests/interop/capture-vectors.sh [PEER...]
#   PEER: bird frr gobgp exabgp (default: all four)
#
# For each PEER it builds two fresh network namespaces joined by one veth pair
#   bgplbcap-PEER-spk  veth cap0  192.0.2.2/24  2001:db8::2/64  02:00:00:00:00:02  speaker under test
#   bgplbcap-PEER-rcv  veth cap0  192.0.2.1/24  2001:db8::1/64  02:00:00:00:00:01  receiver (BIRD2)
# runs PEER as speaker (AS 4200000001) towards a passive receiver BIRD (AS 64512, IPv4 + IPv6
# unicast channels on one IPv4 session), records `tcp port 179` on the receiver's veth with
# tcpdump, and drives the speaker through: session up + announcements, a ROUTE-REFRESH from the
# receiver (answered by the speaker), a ROUTE-REFRESH from the speaker, a withdrawal of one IPv4
# and one IPv6 prefix, and finally an administrative shutdown (Cease NOTIFICATION).
# tests/interop/extract_vectors.py then reassembles the TCP streams, splits the BGP messages and
# writes one .hex file per interesting speaker->receiver message into
#   tests/BgpSpeaker.Tests/Vectors/captured/PEER/
# with a header decoded by tshark.  Announced by every speaker, all with the same attributes:
#   IPv4 198.18.0.1/32 198.18.1.0/24, IPv6 2001:db8:ffff::1/128 2001:db8:ffff:1::/64
#   MED 100, communities 64513:100 NO_EXPORT(65535:65281), large community 4200000001:1:2,
#   extended community route-target 64513:7
# withdrawn later: 198.18.1.0/24 and 2001:db8:ffff:1::/64.
#
# Safety: all traffic stays inside the two namespaces (documentation / benchmarking address
# space only, nothing is installed into a kernel FIB that leaves the namespaces); every process
# is started by this script, its PID recorded and killed by PID; every wait is bounded; an EXIT
# trap tears everything down.  System services of bird/frr are neither used nor started.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${CAP_OUT:-$REPO/tests/BgpSpeaker.Tests/Vectors/captured}
RUN=${CAP_RUN:-/tmp/bgplbcap}
PREFIX=bgplbcap-
PY=/usr/bin/python3

SPK_IP=192.0.2.2
RCV_IP=192.0.2.1
SPK_IP6=2001:db8::2
RCV_IP6=2001:db8::1
SPK_AS=4200000001
RCV_AS=64512
SHUTDOWN_MSG="bgplb capture"

PEERS=("$@")
[ ${#PEERS[@]} -gt 0 ] || PEERS=(bird frr gobgp exabgp)

log() { echo "[capture $(date +%T.%3N)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
for c in ip tcpdump tshark bird birdc; do command -v "$c" >/dev/null || die "missing $c"; done

# ------------------------------------------------------------------ process + namespace helpers
PIDDIR=$RUN/pids
# start_bg NAME LOGFILE CMD... : start CMD in the background, record its PID (setsid and
# 'ip netns exec' both exec(), so $! is the daemon itself).
start_bg() {
    local name=$1 logf=$2; shift 2
    mkdir -p "$PIDDIR"
    setsid "$@" >"$logf" 2>&1 </dev/null &
    echo $! >"$PIDDIR/$name.pid"
    disown $! 2>/dev/null || true
}
# stop_pid NAME [SIG]: signal the recorded PID, wait up to 5 s, then SIGKILL.
stop_pid() {
    local pf="$PIDDIR/$1.pid" sig=${2:-TERM} pid i
    [ -f "$pf" ] || return 0
    pid=$(cat "$pf")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.1; fi
    fi
    rm -f "$pf"
}
# remove every namespace with our prefix: kill (by PID) whatever still runs inside, delete it
ns_cleanup_all() {
    local pf ns pid
    for pf in "$PIDDIR"/*.pid; do [ -e "$pf" ] && stop_pid "$(basename "$pf" .pid)"; done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX" || true); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            log "killing leftover pid $pid ($(cat /proc/"$pid"/comm 2>/dev/null || true)) in $ns"
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del bgplbcap-a 2>/dev/null || true
}
trap 'rc=$?; ns_cleanup_all; exit $rc' EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS DESCRIPTION CMD... : poll CMD every 0.1 s until it succeeds, bounded
wait_for() {
    local secs=$1 what=$2 i; shift 2
    for i in $(seq 1 $((secs * 10))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    log "timeout (${secs}s) waiting for $what"
    return 1
}

# ------------------------------------------------------------------ topology
NS_S= NS_R= D=
topo_up() {
    local p=$1
    NS_S=${PREFIX}$p-spk NS_R=${PREFIX}$p-rcv
    ip netns add "$NS_S"
    ip netns add "$NS_R"
    ip -n "$NS_S" link set lo up
    ip -n "$NS_R" link set lo up
    ip link add bgplbcap-a address 02:00:00:00:00:02 type veth peer name bgplbcap-b address 02:00:00:00:00:01
    ip link set bgplbcap-a netns "$NS_S"
    ip link set bgplbcap-b netns "$NS_R"
    ip -n "$NS_S" link set bgplbcap-a name cap0
    ip -n "$NS_R" link set bgplbcap-b name cap0
    local ns
    for ns in "$NS_S" "$NS_R"; do
        # no DAD, so the EUI-64 link-local (fe80::ff:fe00:1 / :2) is usable at once
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.cap0.accept_dad=0 net.ipv6.conf.cap0.dad_transmits=0
    done
    ip -n "$NS_S" addr add "$SPK_IP/24" dev cap0
    ip -n "$NS_R" addr add "$RCV_IP/24" dev cap0
    ip -n "$NS_S" addr add "$SPK_IP6/64" dev cap0 nodad
    ip -n "$NS_R" addr add "$RCV_IP6/64" dev cap0 nodad
    ip -n "$NS_S" link set cap0 up
    ip -n "$NS_R" link set cap0 up
    for ns in "$NS_S" "$NS_R"; do
        wait_for 10 "carrier + addresses in $ns" sh -c "ip -n $ns link show cap0 | grep -q LOWER_UP &&
            ip -n $ns -6 addr show dev cap0 scope link | grep -q fe80:: &&
            ! ip -n $ns addr show dev cap0 | grep -q tentative"
    done
}

# ------------------------------------------------------------------ receiver (BIRD2, passive)
RCV_SOCK=
# rcv_start [active]: the receiver is passive unless told otherwise (ExaBGP is run passive)
rcv_start() {
    local passive=on
    [ "${1:-}" = active ] && passive=off
    mkdir -p "$D/rcv"
    RCV_SOCK=$D/rcv/bird.ctl
    cat >"$D/rcv/bird.conf" <<EOF
router id $RCV_IP;
log "$D/rcv/bird.log" all;
protocol device { }
protocol bgp spk {
  local $RCV_IP as $RCV_AS;
  neighbor $SPK_IP as $SPK_AS;
  passive $passive;
  connect delay time 1;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; next hop address $RCV_IP6; };
}
EOF
    bird -p -c "$D/rcv/bird.conf"
    start_bg rcv-bird "$D/rcv/stdout.log" ip netns exec "$NS_R" bird -f -c "$D/rcv/bird.conf" -s "$RCV_SOCK" -P "$D/rcv/bird.pid"
    wait_for 10 "receiver BIRD socket" test -S "$RCV_SOCK"
}
rcv() { birdc -s "$RCV_SOCK" "$@"; }
rcv_established() { rcv show protocols spk | grep -q Established; }
rcv_not_established() { ! rcv show protocols spk | grep -q Established; }
rcv_count() { rcv show route protocol spk count | awk '/routes for/ {s += $1} END {print s + 0}'; }
rcv_count_is() { [ "$(rcv_count)" = "$1" ]; }

# ------------------------------------------------------------------ BIRD2 speaker
bird_start() {
    local d=$D/spk; mkdir -p "$d"
    cat >"$d/bird.conf" <<EOF
router id $SPK_IP;
log "$d/bird.log" all;
protocol device { }
protocol static st4 { ipv4; route 198.18.0.1/32 blackhole; }
protocol static st4w { ipv4; route 198.18.1.0/24 blackhole; }
protocol static st6 { ipv6; route 2001:db8:ffff::1/128 blackhole; }
protocol static st6w { ipv6; route 2001:db8:ffff:1::/64 blackhole; }
filter capture_out {
  if source != RTS_STATIC then reject;
  bgp_med = 100;
  bgp_community.add((64513,100));
  bgp_community.add((65535,65281));
  bgp_large_community.add(($SPK_AS,1,2));
  bgp_ext_community.add((rt, 64513, 7));
  accept;
}
protocol bgp rcv {
  local $SPK_IP as $SPK_AS;
  neighbor $RCV_IP as $RCV_AS;
  connect delay time 1;
  ipv4 { import none; export filter capture_out; };
  ipv6 { import none; export filter capture_out; next hop address $SPK_IP6; };
}
EOF
    bird -p -c "$d/bird.conf"
    start_bg spk-bird "$d/stdout.log" ip netns exec "$NS_S" bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid"
    wait_for 10 "speaker BIRD socket" test -S "$d/bird.ctl"
}
bird_c() { birdc -s "$D/spk/bird.ctl" "$@"; }
bird_refresh() { bird_c reload in rcv; }
bird_withdraw() { bird_c disable st4w; bird_c disable st6w; }
bird_shutdown() { bird_c disable rcv "\"$SHUTDOWN_MSG\""; }
bird_stop() { stop_pid spk-bird; }

# ------------------------------------------------------------------ FRR speaker (zebra + bgpd)
frr_start() {
    local d=$D/spk; mkdir -p "$d"
    cat >"$d/zebra.conf" <<EOF
hostname capspk
log file $d/zebra.log informational
EOF
    cat >"$d/bgpd.conf" <<EOF
frr defaults traditional
hostname capspk
log file $d/bgpd.log informational
!
route-map CAPOUT permit 10
 set metric 100
 set community 64513:100 no-export
 set large-community $SPK_AS:1:2
 set extcommunity rt 64513:7
exit
!
router bgp $SPK_AS
 bgp router-id $SPK_IP
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor $RCV_IP remote-as $RCV_AS
 neighbor $RCV_IP update-source $SPK_IP
 neighbor $RCV_IP timers connect 1
 neighbor $RCV_IP advertisement-interval 0
 address-family ipv4 unicast
  network 198.18.0.1/32
  network 198.18.1.0/24
  neighbor $RCV_IP send-community all
  neighbor $RCV_IP route-map CAPOUT out
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:ffff::1/128
  network 2001:db8:ffff:1::/64
  neighbor $RCV_IP activate
  neighbor $RCV_IP send-community all
  neighbor $RCV_IP route-map CAPOUT out
 exit-address-family
exit
EOF
    chown -R frr:frr "$d"
    local common=(--vty_socket "$d" -P 0 -z "$d/zserv.api" -u frr -g frr)
    start_bg spk-zebra "$d/zebra.stdout" ip netns exec "$NS_S" /usr/lib/frr/zebra -f "$d/zebra.conf" -i "$d/zebra.pid" "${common[@]}"
    wait_for 10 "zebra socket" test -S "$d/zserv.api"
    start_bg spk-bgpd "$d/bgpd.stdout" ip netns exec "$NS_S" /usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" -l "$SPK_IP" "${common[@]}"
    wait_for 10 "bgpd vty" frr_vtysh -c 'show bgp summary'
}
frr_vtysh() { vtysh --vty_socket "$D/spk" -d bgpd "$@"; }
frr_refresh() { frr_vtysh -c "clear bgp ipv4 unicast $RCV_IP soft in" -c "clear bgp ipv6 unicast $RCV_IP soft in"; }
frr_withdraw() {
    frr_vtysh -c 'configure terminal' -c "router bgp $SPK_AS" \
        -c 'address-family ipv4 unicast' -c 'no network 198.18.1.0/24' -c 'exit-address-family' \
        -c 'address-family ipv6 unicast' -c 'no network 2001:db8:ffff:1::/64' -c 'exit-address-family'
}
frr_shutdown() {
    frr_vtysh -c 'configure terminal' -c "router bgp $SPK_AS" -c "neighbor $RCV_IP shutdown message $SHUTDOWN_MSG"
}
frr_stop() { stop_pid spk-bgpd; stop_pid spk-zebra; }

# ------------------------------------------------------------------ GoBGP speaker
GOBGP_API=127.0.0.1:50051
gobgp_cli() { ip netns exec "$NS_S" gobgp -u 127.0.0.1 -p 50051 "$@"; }
gobgp_start() {
    local d=$D/spk; mkdir -p "$d"
    cat >"$d/gobgpd.toml" <<EOF
[global.config]
  as = $SPK_AS
  router-id = "$SPK_IP"
  local-address-list = ["$SPK_IP"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$RCV_IP"
    peer-as = $RCV_AS
  [neighbors.transport.config]
    local-address = "$SPK_IP"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
    gobgpd -d -f "$d/gobgpd.toml" >/dev/null
    # own UTS namespace: gobgpd puts the host name into its FQDN capability; make it stable
    start_bg spk-gobgp "$d/gobgpd.log" ip netns exec "$NS_S" unshare --uts sh -c \
        'hostname capspk && exec "$@"' sh gobgpd -f "$d/gobgpd.toml" \
        --api-hosts "$GOBGP_API" --pprof-disable -p -l info
    wait_for 10 "gobgpd API" gobgp_cli global
    # gobgpd waits 5-10 s before its first active open, so the routes are in before the session
    local attrs=(med 100 community 64513:100,65535:65281 large-community "$SPK_AS:1:2" rt 64513:7)
    gobgp_cli global rib -a ipv4 add 198.18.0.1/32 nexthop "$SPK_IP" "${attrs[@]}"
    gobgp_cli global rib -a ipv4 add 198.18.1.0/24 nexthop "$SPK_IP" "${attrs[@]}"
    gobgp_cli global rib -a ipv6 add 2001:db8:ffff::1/128 nexthop "$SPK_IP6" "${attrs[@]}"
    gobgp_cli global rib -a ipv6 add 2001:db8:ffff:1::/64 nexthop "$SPK_IP6" "${attrs[@]}"
}
gobgp_refresh() { gobgp_cli neighbor "$RCV_IP" softresetin -a ipv4; gobgp_cli neighbor "$RCV_IP" softresetin -a ipv6; }
gobgp_withdraw() {
    gobgp_cli global rib -a ipv4 del 198.18.1.0/24
    gobgp_cli global rib -a ipv6 del 2001:db8:ffff:1::/64
}
# note: 'gobgp neighbor X disable --reason M' sends the Cease without the message; 'shutdown' sends it
gobgp_shutdown() { gobgp_cli neighbor "$RCV_IP" shutdown --reason "$SHUTDOWN_MSG"; }
gobgp_stop() { stop_pid spk-gobgp; }

# ------------------------------------------------------------------ ExaBGP speaker
exabgp_start() {
    local d=$D/spk; mkdir -p "$d"
    : >"$d/cmds"
    local attrs="med 100 community [ 64513:100 no-export ] large-community [ $SPK_AS:1:2 ] extended-community [ target:64513:7 ]"
    cat >"$d/exabgp.conf" <<EOF
process ctl {
  run /usr/bin/tail -n +1 -F $d/cmds;
  encoder text;
}
neighbor $RCV_IP {
  router-id $SPK_IP;
  local-address $SPK_IP;
  local-as $SPK_AS;
  peer-as $RCV_AS;
  passive true;
  family { ipv4 unicast; ipv6 unicast; }
  capability { route-refresh; }
  api { processes [ ctl ]; }
  static {
    route 198.18.0.1/32 next-hop self $attrs;
    route 198.18.1.0/24 next-hop self $attrs;
    route 2001:db8:ffff::1/128 next-hop $SPK_IP6 $attrs;
    route 2001:db8:ffff:1::/64 next-hop $SPK_IP6 $attrs;
  }
}
EOF
    start_bg spk-exabgp "$d/stdout.log" ip netns exec "$NS_S" env exabgp.daemon.user=root \
        exabgp.daemon.drop=false exabgp.api.ack=false exabgp.api.cli=false \
        exabgp.tcp.bind="$SPK_IP" exabgp.tcp.port=179 \
        exabgp.log.destination="$d/exabgp.log" exabgp.log.level=${CAP_EXABGP_LOGLEVEL:-INFO} \
        exabgp "$d/exabgp.conf"
}
# ExaBGP 4.2.21 is run passive (listening on 192.0.2.2:179, the receiver connects): after
# 'teardown' an active ExaBGP reconnects within ~10 ms, while BIRD as the active side waits
# (error wait time) after the Cease, so the capture ends with the NOTIFICATION.
# ExaBGP 4.2.21 cannot answer a ROUTE-REFRESH: the peer task dies with "TypeError:
# 'RouteRefresh' object is not iterable" and it closes the TCP connection without a
# NOTIFICATION, so the receiver-side route refresh step is skipped for it.
exabgp_api() { echo "$*" >>"$D/spk/cmds"; }
exabgp_refresh() { exabgp_api "announce route-refresh ipv4 unicast"; exabgp_api "announce route-refresh ipv6 unicast"; }
exabgp_withdraw() {
    exabgp_api "withdraw route 198.18.1.0/24 next-hop self"
    exabgp_api "withdraw route 2001:db8:ffff:1::/64 next-hop $SPK_IP6"
}
exabgp_shutdown() { exabgp_api "neighbor $RCV_IP teardown 2"; }
exabgp_stop() { stop_pid spk-exabgp; }

# ------------------------------------------------------------------ one capture
pkg_of() { case $1 in bird) echo bird2 ;; frr) echo frr ;; gobgp) echo gobgpd ;; exabgp) echo exabgp ;; esac; }

capture_peer() {
    local p=$1 pkg ver
    pkg=$(pkg_of "$p")
    ver=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null) || die "package $pkg not installed"
    D=$RUN/$p
    rm -rf "$D"; mkdir -p "$D"
    log "== $p ($pkg $ver)"
    topo_up "$p"

    start_bg cap-tcpdump "$D/tcpdump.log" ip netns exec "$NS_R" tcpdump -i cap0 -n -s 0 -U --immediate-mode -w "$D/bgp.pcap" 'tcp port 179'
    wait_for 10 "tcpdump" grep -q "listening on" "$D/tcpdump.log"

    if [ "$p" = exabgp ]; then
        "${p}_start"; sleep 2; rcv_start active   # ExaBGP listens; give it time to bind
    else
        rcv_start; "${p}_start"
    fi
    wait_for 60 "session Established" rcv_established
    wait_for 30 "4 routes at the receiver" rcv_count_is 4 || log "receiver has $(rcv_count) routes"
    sleep 2            # let End-of-RIB markers and trailing UPDATEs arrive
    if [ "$p" != exabgp ]; then
        log "receiver asks for a route refresh"
        rcv reload in spk >/dev/null
        sleep 3
    fi
    log "speaker asks for a route refresh"
    "${p}_refresh" >/dev/null || log "route refresh trigger failed"
    sleep 2
    log "speaker withdraws 198.18.1.0/24 and 2001:db8:ffff:1::/64"
    "${p}_withdraw" >/dev/null
    wait_for 20 "2 routes at the receiver" rcv_count_is 2 || log "receiver has $(rcv_count) routes"
    sleep 1
    log "speaker shuts the session down"
    "${p}_shutdown" >/dev/null
    wait_for 20 "session down" rcv_not_established || true
    rcv disable spk >/dev/null   # an active receiver (ExaBGP case) must not reconnect
    sleep 1
    rcv show protocols all spk >"$D/rcv-protocol.txt" 2>&1 || true
    "${p}_stop"
    stop_pid rcv-bird
    sleep 1
    stop_pid cap-tcpdump INT
    ns_cleanup_all

    rm -rf "${OUT:?}/$p"
    "$PY" "$HERE/extract_vectors.py" --pcap "$D/bgp.pcap" --peer "$p" --package "$pkg" \
        --version "$ver" --speaker "$SPK_IP" --out "$OUT/$p"
}

mkdir -p "$RUN" "$OUT"
ns_cleanup_all
for p in "${PEERS[@]}"; do
    case $p in bird|frr|gobgp|exabgp) ;; *) die "unknown peer $p" ;; esac
    capture_peer "$p"
done
log "done: $OUT"
