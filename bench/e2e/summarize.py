#!/usr/bin/python3
"""Tables (markdown) from run.sh's JSON lines: medians per sender and N, bgplb / peer ratios,
bgplb's Service-add latency, and issue 6's targets.

  summarize.py results.jsonl [more.jsonl ...]
"""
import json
import statistics
import sys
from collections import defaultdict

METRICS = [  # key, heading, unit conversion
    ("est_all", "Established → all N (s)", 1),
    ("est_99", "Established → 99 % (s)", 1),
    ("start_est", "start → Established (s)", 1),
    ("wd", "withdraw all (s)", 1),
    ("re", "re-announce all (s)", 1),
    ("hwm_kb", "peak RSS (MiB)", 1 / 1024),
    ("cpu_after_announce_s", "CPU start + announce (s)", 1),
    ("cpu_total_s", "CPU whole run (s)", 1),
]
PEERS = ["bird", "gobgp", "exabgp", "frr"]
ORDER = {s: i for i, s in enumerate(PEERS + ["bgplb"])}
# issue 6: key, N (None: any), bound, text
TARGETS = [
    ("est_all", 100000, 0.05, "100,000 routes ≤ 0.05 s after Established"),
    ("wd", 100000, 0.05, "withdraw all ≤ 0.05 s (N = 100,000)"),
    ("hwm_kb", None, 64 * 1024, "peak RSS ≤ 64 MiB"),
]


def median(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return (statistics.median(vals), len(vals)) if vals else (None, 0)


def fmt(v, scale):
    if v is None:
        return "n/a"
    v *= scale
    return "%.1f" % v if scale != 1 else "%.3f" % v


def main():
    groups = defaultdict(list)
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    groups[(r["sender"], r["n"])].append(r)
    sizes = sorted({n for _, n in groups})
    senders = sorted({s for s, _ in groups}, key=lambda s: ORDER.get(s, 9))

    loads = [x for rows in groups.values() for r in rows for x in r.get("load1", [])]
    if loads:
        print("1-minute load average at the start and end of each run: %.1f to %.1f (median %.1f)\n"
              % (min(loads), max(loads), statistics.median(loads)))
    print("### Medians per sender\n")
    print("| sender | N | runs | " + " | ".join(h for _, h, _ in METRICS) + " |")
    print("|---|---:|---:|" + "---:|" * len(METRICS))
    for n in sizes:
        for s in senders:
            rows = groups.get((s, n))
            if not rows:
                continue
            cells = []
            for key, _, scale in METRICS:
                m, k = median(rows, key)
                cells.append(fmt(m, scale) + ("" if k == len(rows) else " (%d of %d ok)" % (k, len(rows))))
            print("| %s | %d | %d | %s |" % (s, n, len(rows), " | ".join(cells)))

    peers = [p for p in senders if p != "bgplb"]
    if "bgplb" in senders and peers:
        print("\n### bgplb ÷ peer (medians; below 1 = bgplb took less time, memory or CPU)\n")
        print("| N | metric | " + " | ".join("÷ " + p for p in peers) + " |")
        print("|---:|---|" + "---:|" * len(peers))
        for n in sizes:
            ours = groups.get(("bgplb", n))
            if not ours:
                continue
            for key, head, _ in METRICS:
                b, _ = median(ours, key)
                cells = []
                for p in peers:
                    v, _ = median(groups.get((p, n), []), key)
                    cells.append("n/a" if b is None or not v else "%.2f" % (b / v))
                print("| %d | %s | %s |" % (n, head, " | ".join(cells)))

    edits = [(r["n"], e) for rows in groups.values() for r in rows for e in r.get("edits", [])]
    if edits:
        print("\n### bgplb: one Service added to the config → its route at the receiver\n")
        print("| N | trigger | edits | p50 (ms) | p99 (ms) | min (ms) | max (ms) | → reload starts p50 (ms) | → ConfigApplied p50 / p99 (ms) |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for n, e in sorted(edits, key=lambda x: (x[0], x[1].get("trigger", ""))):
            ms = lambda k: "n/a" if e.get(k) is None else "%.1f" % (e[k] * 1000)
            bad = " (stopped at edit %s)" % e["at_edit"] if e.get("timeout") else ""
            print("| %d | %s | %d%s | %s | %s | %s | %s | %s | %s / %s |" % (
                n, e.get("trigger"), len(e.get("lat", [])), bad, ms("p50"), ms("p99"), ms("min"), ms("max"),
                ms("requested_p50"), ms("applied_p50"), ms("applied_p99")))

    if "bgplb" in senders:
        print("\n### Issue 6 targets (bgplb medians)\n")
        for key, n, bound, text in TARGETS:
            for size in sizes if n is None else [n]:
                m, _ = median(groups.get(("bgplb", size), []), key)
                if m is not None:
                    print("- %s, N = %d: %s → **%s**" % (text, size, fmt(m, 1 / 1024 if key.endswith("_kb") else 1),
                                                       "met" if m <= bound else "missed"))
        sighup = [e for n, e in edits if e.get("trigger") == "sighup" and e.get("p50") is not None]
        for e in sighup:
            print("- one new Service → route ≤ 10 ms p50 (SIGHUP, N = %d): %.1f ms → **%s**" % (
                e["base"], e["p50"] * 1000, "met" if e["p50"] <= 0.010 else "missed"))


if __name__ == "__main__":
    main()
