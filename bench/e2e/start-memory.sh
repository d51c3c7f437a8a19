#!/usr/bin/env bash
# start-memory.sh - the memory of `bgplb run` over its start, with N Services and no BGP peer: RSS (total /
# anonymous / file pages, MiB) every 20 ms for SECONDS, then VmHWM. The daemon runs in its own network
# namespace holding only lo (bgplbm-mem, deleted at the end and before, if an earlier run crashed), with the
# default listeners (admin socket, metrics on 127.0.0.1 of that namespace). The config is the end-to-end
# bench's (routes.py bgplb N) without its BGPPeer, so nothing is sent anywhere.
#
# Usage: bench/e2e/start-memory.sh BINARY N [SECONDS [ARGS...]]   (default 3 s; ARGS go to `bgplb run`)
#   BINARY: the Native AOT executable (dotnet publish src/Daemon -c Release -r linux-x64 -p:PublishAot=true -o DIR)
# Example: bench/e2e/start-memory.sh /tmp/aot/bgplb 100000
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "start-memory.sh: needs root (network namespace)" >&2; exit 1; }
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 1; }
bin=$1 n=$2 secs=${3:-3}
shift $(($# < 3 ? $# : 3))
[ -x "$bin" ] || { echo "start-memory.sh: $bin is not an executable" >&2; exit 1; }
E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ns=bgplbm-mem
work=$(mktemp -d /tmp/bgplbm.XXXXXX)
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo up
python3 "$E2E/routes.py" bgplb "$n" "$work/config" >/dev/null
# Keep every document of bgp.yaml but the BGPPeer.
python3 - "$work/config/bgp.yaml" <<'PY'
import sys
path = sys.argv[1]
docs = open(path).read().split("\n---\n")
open(path, "w").write("\n---\n".join(d for d in docs if "kind: BGPPeer" not in d))
PY
rm -f "$work/config.adv.yaml" "$work/config.noadv.yaml"
ip netns exec "$ns" "$bin" run --config "$work/config" --state "$work/state.json" --node bench --bgp-port 0 \
    --log-format json --admin-socket "$work/admin.sock" "$@" >"$work/log" 2>&1 </dev/null &
pid=$!
series=()
for _ in $(seq 1 $((secs * 50))); do
    sleep 0.02
    [ -d "/proc/$pid" ] || { echo "start-memory.sh: bgplb exited; its log:" >&2; tail -5 "$work/log" >&2; exit 1; }
    series+=("$(awk '/VmRSS/{r=int($2/1024)} /RssAnon/{a=int($2/1024)} /RssFile/{f=int($2/1024)} END{printf "%d/%d/%d", r, a, f}' "/proc/$pid/status")")
done
# Consecutive equal samples once.
printf '%s\n' "${series[@]}" | uniq | tr '\n' ' '
echo
awk '/VmHWM/{printf "VmHWM %.1f MiB (%d kB)\n", $2/1024, $2}' "/proc/$pid/status"
grep -o '"message":"\(config applied\|idle after\)[^"]*"' "$work/log"
