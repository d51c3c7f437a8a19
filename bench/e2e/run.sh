#!/usr/bin/env bash
# run.sh - the end-to-end bench: bgplb next to BIRD, GoBGP, ExaBGP and FRR as senders to one
# BIRD 2 receiver, in one run. See README.md for what each number means.
#
# Usage: bench/e2e/run.sh [-s "bird gobgp exabgp frr bgplb"] [-n "10000 100000"] [-r RUNS]
#                         [-e EDITS] [-E "10000"] [-T "sighup"] [-o OUT.jsonl] [-t TIMEOUT_S]
#   -s senders, -n route counts, -r runs per (sender, N), -e Service-add edits per set,
#   -E the N at which bgplb's Service-add latency is measured, -T its triggers,
#   -o results (JSON lines; default $BGPLBB_RUN/results-DATE.jsonl), -t bound per phase.
#
# Per run, for each sender in turn (fresh receiver and fresh sender process every time):
#   A  start the sender with N routes loaded      -> start->Established, Established->N, ->99 %
#   W  withdraw all, session up                   -> trigger -> 0 imported
#   R  announce all again, session up             -> trigger -> N imported
#   peak RSS (VmHWM) and CPU (utime+stime) of the sender process after A and after A+W+R;
# then, bgplb only, in the first run of each N listed in -E: E Service-add edits per trigger.
set -euo pipefail
E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$E2E/lab.sh"

SENDERS="bird gobgp exabgp frr bgplb"
SIZES="10000 100000"
RUNS=3
EDITS=100
EDIT_SIZES=10000
TRIGGERS="sighup"
OUT=""
TMO=300
while getopts "s:n:r:e:E:T:o:t:" o; do
    case $o in
        s) SENDERS=$OPTARG ;; n) SIZES=$OPTARG ;; r) RUNS=$OPTARG ;; e) EDITS=$OPTARG ;;
        E) EDIT_SIZES=$OPTARG ;; T) TRIGGERS=$OPTARG ;; o) OUT=$OPTARG ;; t) TMO=$OPTARG ;;
        *) sed -n '2,18p' "$0"; exit 1 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in bird birdc gobgpd gobgp exabgp vtysh /usr/lib/frr/bgpd go dotnet; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool missing; see bench/e2e/README.md (apt-get install ...)" >&2; exit 1; }
done
# SIGHUP ignored here (nohup) is inherited by bgplb, and .NET keeps an inherited SIG_IGN: the
# SIGHUP trigger would silently become the debounced file watch. Detach with setsid instead.
if (( 0x$(awk '/^SigIgn/{print $2}' /proc/$$/status) & 1 )); then
    echo "run.sh: SIGHUP is ignored (started under nohup?); bgplb would inherit that. Use: setsid bench/e2e/run.sh ... >LOG 2>&1 &" >&2
    exit 1
fi
mkdir -p "$RUN"
OUT=${OUT:-$RUN/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
LOGS=${OUT%.jsonl}.logs
mkdir -p "$LOGS"

sender() { "$E2E/speakers.sh" "$@"; }
watch() { $PY "$E2E/watch.py" "$@" --sock "$RTR_SOCK" --proto spk --timeout "$TMO"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

trap 'lab_down' EXIT
if [[ " $SENDERS " == *" bgplb "* ]]; then
    # The build's output goes to a log beside the results; a failed build prints its tail and stops the bench.
    build_log="$OUT.build.log"
    if [ "${BGPLB_JIT:-0}" = 1 ]; then
        log "building bgplb (Release, JIT: dotnet bgplb.dll)"
        build=(dotnet build "$E2E/../../src/Daemon" -c Release -nologo -v quiet)
    else
        # The build we tell operators to run (docs/daemon.md): one native executable, no JIT.
        log "publishing bgplb (Release, Native AOT: $BGPLB_BIN)"
        build=(dotnet publish "$E2E/../../src/Daemon" -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$(dirname "$BGPLB_BIN")")
    fi
    if ! "${build[@]}" >"$build_log" 2>&1; then
        echo "run.sh: ${build[*]} failed; its output ($build_log):" >&2
        tail -n 30 "$build_log" >&2
        exit 1
    fi
fi
lab_up
log "machine: $(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), load $(load1); results -> $OUT"
started=$(date +%s)

for n in $SIZES; do
    for sp in $SENDERS; do log "prepare $sp N=$n"; sender "$sp" prepare "$n"; done
    for run in $(seq 1 "$RUNS"); do
        for sp in $SENDERS; do
            rtr_start
            load_before=$(load1)
            log "run $run/$RUNS $sp N=$n"
            a=$(watch phase --exec "$E2E/speakers.sh $sp start" --est --count "$n") || log "  announce FAILED: $a"
            sleep 1
            hwm_a=$(peak_rss_kb "spk-$sp"); cpu_a=$(cpu_s "spk-$sp")
            w=$(watch phase --exec "$E2E/speakers.sh $sp withdraw" --count 0) || log "  withdraw FAILED: $w"
            sleep 1
            r=$(watch phase --exec "$E2E/speakers.sh $sp announce" --count "$n") || log "  re-announce FAILED: $r"
            sleep 0.5
            hwm=$(peak_rss_kb "spk-$sp"); cpu=$(cpu_s "spk-$sp"); rtr_hwm=$(peak_rss_kb rtr-bird)
            ed="[]"
            if [ "$sp" = bgplb ] && [ "$run" = 1 ] && [[ " $EDIT_SIZES " == *" $n "* ]]; then
                ed="["
                for trig in $TRIGGERS; do
                    log "  $EDITS Service-add edits, trigger $trig"
                    e=$(watch edits --config "$RUN/spk-bgplb/config" --base "$n" --edits "$EDITS" \
                        --trigger "$trig" --pid "$(pid_of spk-bgplb)" --log "$RUN/spk-bgplb/bgplb.log" \
                        --timeout 30) || log "  edits FAILED: $e"
                    [ -n "$e" ] || e="{\"trigger\": \"$trig\", \"error\": \"no output\"}"
                    ed="$ed$e,"
                    # the next set starts from N again: remove the added Services and wait for the withdrawals
                    f=$(watch phase --exec "rm -f $RUN/spk-bgplb/config/added-*.yaml && kill -HUP $(pid_of spk-bgplb)" --count "$n") \
                        || log "  removing the added Services FAILED: $f"
                done
                ed="${ed%,}]"
            fi
            hwm_e=$(peak_rss_kb "spk-$sp"); cpu_e=$(cpu_s "spk-$sp")
            sender "$sp" stop
            # bgplb's own log of every run, for timeline.py (the next start overwrites the live one)
            if [ "$sp" = bgplb ]; then
                cp "$RUN/spk-bgplb/bgplb.log" "$LOGS/bgplb-$n-run$run.log"
                cp "$RUN/spk-bgplb/started" "$LOGS/bgplb-$n-run$run.started"
            fi
            $PY - "$sp" "$n" "$run" "$a" "$w" "$r" "$hwm_a" "$hwm" "$rtr_hwm" "$cpu_a" "$cpu" \
                "$ed" "$hwm_e" "$cpu_e" "$load_before" "$(load1)" >>"$OUT" <<'EOF'
import json, sys
(sp, n, run, a, w, r, hwm_a, hwm, rtr_hwm, cpu_a, cpu, ed, hwm_e, cpu_e, l0, l1) = sys.argv[1:]
a, w, r = (json.loads(x) if x.startswith("{") else {"error": x or "no output"} for x in (a, w, r))
ok = lambda d: not d.get("timeout") and not d.get("error")
rec = {
    "sender": sp, "n": int(n), "run": int(run),
    "start_est": a.get("est"), "start_all": a.get("count") if ok(a) else None,
    "est_all": round(a["count"] - a["est"], 4) if ok(a) else None,
    "est_99": round(a["count99"] - a["est"], 4) if ok(a) and "count99" in a else None,
    "wd": w.get("count") if ok(w) else None, "re": r.get("count") if ok(r) else None,
    "hwm_after_announce_kb": int(hwm_a), "hwm_kb": int(hwm), "rtr_hwm_kb": int(rtr_hwm),
    "cpu_after_announce_s": float(cpu_a), "cpu_total_s": float(cpu),
    "load1": [float(l0), float(l1)],
    "raw": {"announce": a, "withdraw": w, "reannounce": r},
}
edits = json.loads(ed)
if edits:
    rec.update(edits=edits, hwm_after_edits_kb=int(hwm_e), cpu_after_edits_s=float(cpu_e))
print(json.dumps(rec))
EOF
            tail -n 1 "$OUT" | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); print("   ", {k: d[k] for k in ("start_est","est_all","est_99","wd","re","hwm_kb","cpu_total_s")}, *(("edits %s p50 %s p99 %s" % (e.get("trigger"), e.get("p50"), e.get("p99"))) for e in d.get("edits", [])))' >&2
        done
    done
done
log "done in $(( $(date +%s) - started )) s; results in $OUT, bgplb's logs in $LOGS"
$PY "$E2E/summarize.py" "$OUT"
