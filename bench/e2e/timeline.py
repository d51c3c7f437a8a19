#!/usr/bin/python3
"""Where bgplb's time goes, from its own JSON log (bgplb run --log-format json).

  timeline.py LOG [--since-start EPOCH_S]

Prints every event at information level and above with the time since the previous line and since
the first (or since --since-start, the wall-clock second the process was started: the time before
the first line is the config load). Repeated per-Service lines are folded into one count.
"""
import argparse
import json

from watch import log_time as seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("--since-start", type=float)
    a = ap.parse_args()
    first = prev = a.since_start
    folded = None  # (event, count, last time)

    def flush():
        nonlocal folded
        if folded and folded[1] > 1:
            print("%9s %9s   ... %d more %s lines up to +%.3f" % ("", "", folded[1] - 1, folded[0], folded[2] - first))
        folded = None

    with open(a.log) as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("level") in ("trace", "debug") or "time" not in ev:
                continue
            t = seconds(ev["time"])
            if first is None:
                first = prev = t
            if folded and folded[0] == ev.get("event") and ev.get("event") in ("Allocation", "NotAnnounced"):
                folded = (folded[0], folded[1] + 1, t)
                prev = t
                continue
            flush()
            print("%+9.3f %+9.3f   %-18s %s" % (t - first, t - prev, ev.get("event"), ev.get("message", "")[:110]))
            folded = (ev.get("event"), 1, t)
            prev = t
    flush()


if __name__ == "__main__":
    main()
