#!/usr/bin/env bash
# speakers.sh - each sender of the bench, driven the same way, inside ns bgplbb-spk.
#
# Usage: speakers.sh SENDER ACTION [N]
#   SENDER: bird | gobgp | exabgp | frr | bgplb
#   prepare N   configs / route files for N /32s from 198.18.0.0 (not timed)
#   start       start the sender with its N routes loaded; it then peers with the receiver
#   withdraw    withdraw every route, the session stays up
#   announce    announce every route again, the session stays up
#   stop        SIGTERM (SIGKILL after 5 s)
# The PID file of every sender is $BGPLBB_RUN/spk-SENDER.pid.
#
# How each one loads, withdraws and re-announces (the fastest documented way for each):
#   bird   static protocol 'st' (N 'route P/32 blackhole;'), exported to BGP;
#          withdraw 'birdc disable st', announce 'birdc enable st'
#   gobgp  gobgpd with no neighbor, gobgp-inject (gRPC AddPathStream, 1000 paths a message),
#          then 'gobgp neighbor add'; withdraw 'gobgp global rib -a ipv4 del all', announce: inject again
#   exabgp N 'route P/32 next-hop self;' in the neighbor's static block, API process 'tail -F cmds';
#          withdraw 'clear adj-rib out', announce: 'announce attributes ... nlri' lines of 500
#   frr    bgpd -Z (no zebra), N 'network P/32', 'no bgp network import-check', route-map ALLOW
#          out; withdraw: route-map DENY out, announce: ALLOW again (vtysh)
#   bgplb  'bgplb run --config DIR' on bgp.yaml (pool, peer, advertisement) + services.yaml (N
#          Services); withdraw: bgp.yaml replaced (rename) by one without the BGPAdvertisement,
#          announce: put back. BGPLBB_TRIGGER=sighup (default) also sends SIGHUP right after the
#          rename; BGPLBB_TRIGGER=file leaves it to the daemon's file watch (debounced).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

GOBGP_API=127.0.0.1:50051
BGPLB_DLL=${BGPLB_DLL:-$REPO/src/Daemon/bin/Release/net10.0/bgplb.dll}
TRIGGER=${BGPLBB_TRIGGER:-sighup}

sp_dir() { echo "$RUN/spk-$1"; }

# ------------------------------------------------------------------ BIRD
bird_prepare() {
    local d; d=$(sp_dir bird); mkdir -p "$d"
    $PY "$E2E_DIR/routes.py" bird "$1" "$d/routes.conf"
    cat >"$d/bird.conf" <<EOF
router id $SPK_IP;
log "$d/bird.log" { warning, error, fatal, bug };
protocol device { }
protocol static st {
  ipv4;
  include "$d/routes.conf";
}
protocol bgp rtr {
  local $SPK_IP as $SPK_AS;
  neighbor $RTR_IP as $RTR_AS;
  connect delay time 0;
  ipv4 { import none; export where proto = "st"; };
}
EOF
    bird -p -c "$d/bird.conf"
}
bird_start() {
    local d; d=$(sp_dir bird); rm -f "$d/bird.ctl"
    start_bg spk-bird "$d/stdout.log" ip netns exec "$NS_SPK" bird -f -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid"
}
bird_withdraw() { birdc -s "$(sp_dir bird)/bird.ctl" disable st >/dev/null; }
bird_announce() { birdc -s "$(sp_dir bird)/bird.ctl" enable st >/dev/null; }

# ------------------------------------------------------------------ GoBGP
gobgp_cli() { in_spk gobgp -u 127.0.0.1 -p 50051 "$@"; }
build_inject() {
    local bin=$RUN/bin/gobgp-inject g=$RUN/gopath src=$E2E_DIR/gobgp-inject/main.go
    [ -x "$bin" ] && [ "$bin" -nt "$src" ] && return 0
    { command -v go && [ -d /usr/share/gocode/src/github.com/osrg/gobgp ]; } >/dev/null || {
        log "GoBGP needs: apt-get install -y golang-go golang-github-osrg-gobgp-dev"; return 1; }
    mkdir -p "$g/src/github.com/osrg/gobgp" "$g/src/bgplbb/gobgp-inject" "$RUN/bin"
    # Debian packages gobgp v3 at github.com/osrg/gobgp; GOPATH mode needs the /v3 path it imports
    ln -sfn /usr/share/gocode/src/github.com/osrg/gobgp "$g/src/github.com/osrg/gobgp/v3"
    cp "$src" "$g/src/bgplbb/gobgp-inject/"
    (cd "$g/src/bgplbb/gobgp-inject" && GOPATH="$g:/usr/share/gocode" GO111MODULE=off \
        GOCACHE="$RUN/gocache" go build -o "$bin" .)
}
gobgp_prepare() {
    local d; d=$(sp_dir gobgp); mkdir -p "$d"
    echo "$1" >"$d/n"
    build_inject
    cat >"$d/gobgpd.toml" <<EOF
[global.config]
  as = $SPK_AS
  router-id = "$SPK_IP"
  local-address-list = ["$SPK_IP"]
EOF
    gobgpd -d -f "$d/gobgpd.toml" >/dev/null
}
gobgp_inject() { in_spk "$RUN/bin/gobgp-inject" -target "$GOBGP_API" -n "$(cat "$(sp_dir gobgp)/n")" -nexthop "$SPK_IP"; }
gobgp_start() {
    local d i; d=$(sp_dir gobgp)
    start_bg spk-gobgp "$d/gobgpd.log" ip netns exec "$NS_SPK" gobgpd -f "$d/gobgpd.toml" \
        --api-hosts "$GOBGP_API" --pprof-disable -p -l warn
    for i in $(seq 1 250); do gobgp_cli global >/dev/null 2>&1 && break; sleep 0.02; done
    gobgp_inject
    gobgp_cli neighbor add "$RTR_IP" as "$RTR_AS"
}
gobgp_withdraw() { gobgp_cli global rib -a ipv4 del all; }
gobgp_announce() { gobgp_inject; }

# ------------------------------------------------------------------ ExaBGP
exabgp_prepare() {
    local d; d=$(sp_dir exabgp); mkdir -p "$d"
    $PY "$E2E_DIR/routes.py" exabgp "$1" "$d/static.part"
    $PY "$E2E_DIR/routes.py" exaapi "$1" "$d/announce.api"
    {
        cat <<EOF
process ctl {
  run /usr/bin/tail -n +1 -F $d/cmds;
  encoder text;
}
neighbor $RTR_IP {
  router-id $SPK_IP;
  local-address $SPK_IP;
  local-as $SPK_AS;
  peer-as $RTR_AS;
  family { ipv4 unicast; }
  api { processes [ ctl ]; }
  static {
EOF
        cat "$d/static.part"
        printf '  }\n}\n'
    } >"$d/exabgp.conf"
}
exabgp_start() {
    local d; d=$(sp_dir exabgp); : >"$d/cmds"
    start_bg spk-exabgp "$d/stdout.log" ip netns exec "$NS_SPK" env exabgp.daemon.user=root \
        exabgp.daemon.drop=false exabgp.api.ack=false exabgp.api.cli=false \
        exabgp.log.destination="$d/exabgp.log" exabgp.log.level=WARNING exabgp "$d/exabgp.conf"
}
exabgp_withdraw() { echo "clear adj-rib out" >>"$(sp_dir exabgp)/cmds"; }
exabgp_announce() { cat "$(sp_dir exabgp)/announce.api" >>"$(sp_dir exabgp)/cmds"; }

# ------------------------------------------------------------------ FRR
frr_prepare() {
    local d; d=$(sp_dir frr); mkdir -p "$d"
    $PY "$E2E_DIR/routes.py" frr "$1" "$d/networks.part"
    {
        cat <<EOF
frr defaults traditional
hostname bgplbb-spk
log file $d/bgpd.log warnings
!
route-map ALLOW permit 10
exit
route-map DENY deny 10
exit
!
router bgp $SPK_AS
 bgp router-id $SPK_IP
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor $RTR_IP remote-as $RTR_AS
 neighbor $RTR_IP update-source $SPK_IP
 neighbor $RTR_IP advertisement-interval 0
 neighbor $RTR_IP timers connect 1
 address-family ipv4 unicast
EOF
        cat "$d/networks.part"
        printf '  neighbor %s route-map ALLOW out\n exit-address-family\nexit\n' "$RTR_IP"
    } >"$d/bgpd.conf"
    chown -R frr:frr "$d" 2>/dev/null || true
}
frr_start() {
    local d; d=$(sp_dir frr)
    start_bg spk-frr "$d/stdout.log" ip netns exec "$NS_SPK" /usr/lib/frr/bgpd -Z -S -f "$d/bgpd.conf" \
        -i "$d/bgpd.pid" --vty_socket "$d" -P 0 -l "$SPK_IP" -z "$d/zserv.api"
}
frr_route_map() {
    vtysh --vty_socket "$(sp_dir frr)" -d bgpd -c 'configure terminal' -c "router bgp $SPK_AS" \
        -c 'address-family ipv4 unicast' -c "neighbor $RTR_IP route-map $1 out" >/dev/null
}
frr_withdraw() { frr_route_map DENY; }
frr_announce() { frr_route_map ALLOW; }

# ------------------------------------------------------------------ bgplb
bgplb_prepare() {
    if [ "${BGPLB_JIT:-0}" = 1 ]; then
        [ -f "$BGPLB_DLL" ] || { log "no $BGPLB_DLL: dotnet build src/Daemon -c Release"; return 1; }
    else
        [ -x "$BGPLB_BIN" ] || { log "no $BGPLB_BIN: dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true -o $(dirname "$BGPLB_BIN")"; return 1; }
    fi
    $PY "$E2E_DIR/routes.py" bgplb "$1" "$(sp_dir bgplb)/config" --peer "$RTR_IP" --my-as "$SPK_AS" --peer-as "$RTR_AS"
}
bgplb_start() {
    local d; d=$(sp_dir bgplb)
    # a fresh allocation every run: no state file, so no Graceful Restart R bit either
    rm -f "$d/state.json" "$d/state.json.journal" "$d"/config/added-*.yaml
    cp "$d/config.adv.yaml" "$d/config/bgp.yaml"
    date +%s.%N >"$d/started" # timeline.py --since-start: the config load comes before the first log line
    local daemon=("$BGPLB_BIN")
    [ "${BGPLB_JIT:-0}" = 1 ] && daemon=(dotnet "$BGPLB_DLL")
    start_bg spk-bgplb "$d/bgplb.log" ip netns exec "$NS_SPK" "${daemon[@]}" run \
        --config "$d/config" --state "$d/state.json" --node bench --bgp-port 0 --log-format json --admin-socket "$d/admin.sock"
}
# swap_bgp VARIANT: replace config/bgp.yaml in one rename (the daemon never reads half a file)
swap_bgp() {
    local d; d=$(sp_dir bgplb)
    cp "$d/config.$1.yaml" "$d/.bgp.yaml"
    mv "$d/.bgp.yaml" "$d/config/bgp.yaml"
    [ "$TRIGGER" = file ] || kill -HUP "$(pid_of spk-bgplb)"
}
bgplb_withdraw() { swap_bgp noadv; }
bgplb_announce() { swap_bgp adv; }

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    sp=${1:?sender}; act=${2:?action}; shift 2
    case $sp in bird|gobgp|exabgp|frr|bgplb) ;; *) echo "unknown sender $sp" >&2; exit 1 ;; esac
    case $act in
        prepare|start|withdraw|announce) "${sp}_${act}" "$@" ;;
        stop) stop_pid "spk-$sp" ;;
        *) echo "unknown action $act" >&2; exit 1 ;;
    esac
fi
