#!/usr/bin/env bash
# lab.sh - the end-to-end bench's two namespaces and its receiver.
#
#   bgplbb-rtr (receiver)                          bgplbb-spk (sender under test)
#   BIRD 2, AS 64512, passive   eth0 <== veth ==> eth0   AS 64513
#   203.0.113.1/24                                 203.0.113.2/24
#
# Usage: lab.sh up | down | status
#        lab.sh rtr-start        (re)start the receiver BIRD with a fresh RIB
#        lab.sh rtr CMD... | spk CMD...   run CMD inside a namespace
#        lab.sh birdc ARGS...    birdc against the receiver
#
# Sourced by speakers.sh and run.sh for its functions. Every process the bench starts records
# its PID in $BGPLBB_RUN/NAME.pid (start_bg); stopping kills exactly that PID. 'down' also kills,
# by PID, anything left inside the two namespaces (they are ours by name), then deletes them.
# Addresses: links from 203.0.113.0/24 (RFC 5737 TEST-NET-3), routes from 198.18.0.0/15
# (RFC 2544); both exist only inside the namespaces, and nothing is installed into a kernel FIB.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=${BGPLBB_RUN:-/tmp/bgplbb-bench}
NS_RTR=bgplbb-rtr
NS_SPK=bgplbb-spk
RTR_IP=203.0.113.1
SPK_IP=203.0.113.2
RTR_AS=64512
SPK_AS=64513
RTR_SOCK=$RUN/rtr/bird.ctl
PY=/usr/bin/python3
REPO=$(cd "$E2E_DIR/../.." && pwd)
# bgplb as operators run it: the Native AOT executable (run.sh publishes it). BGPLB_JIT=1: the JIT build under dotnet.
BGPLB_BIN=${BGPLB_BIN:-$REPO/src/Daemon/bin/aot/bgplb}

log() { echo "[e2e $(date -u +%T.%3N)] $*" >&2; }

# start_bg NAME LOGFILE CMD...: CMD in the background in its own session; its PID (ip netns
# exec and setsid both exec, so $! is the daemon itself) goes to $RUN/NAME.pid.
start_bg() {
    local name=$1 logf=$2; shift 2
    mkdir -p "$RUN"
    setsid "$@" >"$logf" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
    disown $! 2>/dev/null || true
}

# stop_pid NAME [SIGNAL]: signal the recorded PID, wait up to 5 s, then SIGKILL.
stop_pid() {
    local pf="$RUN/$1.pid" sig=${2:-TERM} pid i
    [ -f "$pf" ] || return 0
    pid=$(cat "$pf")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid" 2>/dev/null || true; sleep 0.1; }
    fi
    rm -f "$pf"
}

pid_of() { cat "$RUN/$1.pid" 2>/dev/null || echo 0; }

# peak_rss_kb NAME: VmHWM (the kernel's high-water mark of the resident set) of the recorded PID
peak_rss_kb() { awk '/^VmHWM/{print $2; f=1} END{if(!f) print 0}' "/proc/$(pid_of "$1")/status" 2>/dev/null || echo 0; }

# cpu_s NAME: user + system CPU seconds of the recorded PID, all threads (proc(5) stat fields 14, 15)
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz}' \
        "/proc/$(pid_of "$1")/stat" 2>/dev/null || echo 0
}

in_rtr() { ip netns exec "$NS_RTR" "$@"; }
in_spk() { ip netns exec "$NS_SPK" "$@"; }

lab_up() {
    lab_down
    mkdir -p "$RUN"
    ip netns add "$NS_RTR"
    ip netns add "$NS_SPK"
    ip -n "$NS_RTR" link set lo up
    ip -n "$NS_SPK" link set lo up
    # created inside the receiver's namespace, so no interface ever appears in the root namespace
    ip -n "$NS_RTR" link add eth0 type veth peer name eth0 netns "$NS_SPK"
    ip -n "$NS_RTR" addr add "$RTR_IP/24" dev eth0
    ip -n "$NS_SPK" addr add "$SPK_IP/24" dev eth0
    ip -n "$NS_RTR" link set eth0 up
    ip -n "$NS_SPK" link set eth0 up
    local i
    for i in $(seq 1 50); do in_spk ping -c1 -W1 -q "$RTR_IP" >/dev/null 2>&1 && break; sleep 0.1; done
    in_spk ping -c1 -W1 -q "$RTR_IP" >/dev/null || { log "the veth pair passes no traffic"; return 1; }
    rtr_start
    log "lab up: $NS_RTR ($RTR_IP, AS $RTR_AS, BIRD) <-> $NS_SPK ($SPK_IP, AS $SPK_AS)"
}

# The receiver: passive, accepts everything, exports nothing, no kernel protocol. Graceful
# restart off so a route leaves the moment it is withdrawn or the session drops. Hold time 9 s
# for every sender (the smaller of the two offers wins, RFC 4271 §4.2).
rtr_start() {
    stop_pid rtr-bird
    mkdir -p "$RUN/rtr"
    local c=$RUN/rtr/bird.conf
    cat >"$c" <<EOF
router id $RTR_IP;
log "$RUN/rtr/bird.log" { warning, error, fatal, bug };
timeformat protocol iso long;
protocol device { scan time 10; }
protocol bgp spk {
  local $RTR_IP as $RTR_AS;
  neighbor $SPK_IP as $SPK_AS;
  passive on;
  hold time 9;
  keepalive time 3;
  graceful restart off;
  enforce first as on;
  ipv4 { import all; export none; };
}
EOF
    bird -p -c "$c"
    rm -f "$RTR_SOCK"
    start_bg rtr-bird "$RUN/rtr/stdout.log" ip netns exec "$NS_RTR" bird -f -c "$c" -s "$RTR_SOCK" -P "$RUN/rtr/bird.pid"
    local i
    for i in $(seq 1 100); do [ -S "$RTR_SOCK" ] && break; sleep 0.05; done
    [ -S "$RTR_SOCK" ] || { log "receiver BIRD did not start:"; cat "$RUN/rtr/stdout.log" >&2; return 1; }
}

lab_down() {
    local pf ns pid
    for pf in "$RUN"/*.pid; do
        [ -e "$pf" ] && stop_pid "$(basename "$pf" .pid)"
    done
    for ns in "$NS_SPK" "$NS_RTR"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            log "killing leftover pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) in $ns"
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
}

lab_status() {
    ip netns list | grep '^bgplbb-' || echo "no bgplbb-* namespaces"
    local pf
    for pf in "$RUN"/*.pid; do [ -e "$pf" ] && echo "$(basename "$pf" .pid) $(cat "$pf")"; done
    [ -S "$RTR_SOCK" ] && birdc -s "$RTR_SOCK" show protocols || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    cmd=${1:-}; shift || true
    case $cmd in
        up) lab_up ;;
        down) lab_down; log "lab down" ;;
        status) lab_status ;;
        rtr-start) rtr_start ;;
        rtr) in_rtr "$@" ;;
        spk) in_spk "$@" ;;
        birdc) birdc -s "$RTR_SOCK" "$@" ;;
        *) sed -n '2,12p' "$0"; exit 1 ;;
    esac
fi
