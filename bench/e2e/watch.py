#!/usr/bin/python3
"""Time what the receiver BIRD sees, through its control socket.

One persistent connection to the socket (no birdc process per poll; a poll is ~0.2 ms), polling
'show protocols all PROTO' for the BGP state and the channel's 'Routes: N imported' counter.

  watch.py phase --sock S --proto P [--exec CMD] [--est] [--count N] [--interval 0.002]
      t0, start CMD (not waited for), then poll until each asked condition holds, timing each at
      the first poll that sees it: --est (Established), --count N (exactly N imported; also
      'count99': 99 % of the way from the first poll's count to N). Prints one JSON object:
      {"est": s, "count": s, "count99": s, "exec": s, "polls": k, ...}, seconds since t0.

  watch.py edits --sock S --proto P --config DIR --base N [--edits 100] [--trigger file|sighup]
                 [--pid PID] [--log FILE] [--interval 0.001]
      The service-add latency of bgplb: E times, once every reload the daemon started has ended
      and its log has been quiet for --quiet s, write one new Service into its own file
      added-K.yaml of the config folder
      (written beside the folder, then renamed into it: the daemon never sees half a file),
      t0 at the rename (for --trigger sighup: rename, then SIGHUP to --pid), and poll until
      the receiver has imported N + K routes. With --log (the daemon's --log-format json
      output) also t0 -> the daemon's first 'ReloadRequested' (logged when a reload starts,
      after the debounce) and 'ConfigApplied' (routes handed to the speaker) after t0.
      Prints one JSON object with every latency and p50 / p99 (nearest rank).

Exit status: 0 done, 2 a bound was hit (the JSON still says where), 3 CMD failed, 1 usage.
"""
import argparse
import datetime
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time

import routes  # this folder's generator: the Service text

REPLY_END = re.compile(rb"^\d{4} ")
STATE = re.compile(rb"BGP state:\s+(\S+)")
IMPORTED = re.compile(rb"Routes:\s+(\d+) imported")
LAST_ERROR = re.compile(rb"Last error:\s+(.*)")


class Receiver:
    """The BIRD control protocol: a command line in; reply lines, the last one 'NNNN ' (code, space)."""

    def __init__(self, path, proto):
        self.proto = proto
        deadline = time.monotonic() + 5
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.io = s.makefile("rwb")
        greeting = self.io.readline()
        if not greeting.startswith(b"0001 "):
            raise RuntimeError("not a BIRD control socket: greeting %r" % greeting)

    def command(self, line):
        self.io.write(line.encode() + b"\n")
        self.io.flush()
        reply = []
        while True:
            l = self.io.readline()
            if not l:
                raise RuntimeError("BIRD closed its control socket")
            reply.append(l)
            if REPLY_END.match(l):
                return b"".join(reply)

    def poll(self):
        """(BGP state, routes imported); no 'Routes:' line means the channel is down: 0."""
        out = self.command("show protocols all " + self.proto)
        s, r = STATE.search(out), IMPORTED.search(out)
        return (s.group(1).decode() if s else None), (int(r.group(1)) if r else 0)

    def last_error(self):
        m = LAST_ERROR.search(self.command("show protocols all " + self.proto))
        return m.group(1).decode().strip() if m else None


def phase(a, rx):
    res = {"polls": 0}
    wanted = (["est"] if a.est else []) + (["count"] if a.count is not None else [])
    t0 = time.monotonic()
    proc = subprocess.Popen(a.exec, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) if a.exec else None
    deadline = t0 + a.timeout
    first = None
    rc = 0
    state = imported = None
    while wanted:
        state, imported = rx.poll()
        now = time.monotonic()
        res["polls"] += 1
        if first is None:
            first = imported
        if a.count is not None and "count99" not in res and a.count != first \
                and (imported - first) / (a.count - first) >= 0.99:
            res["count99"] = round(now - t0, 4)
        if "est" in wanted and state == "Established":
            res["est"] = round(now - t0, 4)
            wanted.remove("est")
        if "count" in wanted and imported == a.count:
            res["count"] = round(now - t0, 4)
            wanted.remove("count")
        if proc and "exec" not in res and proc.poll() is not None:
            res["exec"] = round(time.monotonic() - t0, 4)
            if proc.returncode != 0:
                res["error"] = "'%s' exited %d" % (a.exec, proc.returncode)
                rc = 3
                break
        if wanted and now > deadline:
            res.update(timeout=True, waiting_for=wanted[0])
            rc = 2
            break
        if wanted:
            time.sleep(a.interval)
    if proc and "exec" not in res:
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            res["exec"] = round(time.monotonic() - t0, 4)
        except subprocess.TimeoutExpired:
            res["exec_timeout"] = True
            rc = 2
    res.update(last_state=state, last_imported=imported, last_error=rx.last_error())
    return res, 0


def log_time(text):
    """Wall-clock seconds of an ISO 8601 'time' (at most microseconds kept)."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()


def logged_after(logf, offset, wall0, events):
    """Seconds from wall0 to the first line of each event logged past offset (None: not logged)."""
    seen = dict.fromkeys(events)
    with open(logf, "rb") as f:
        f.seek(offset)
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if seen.get(ev.get("event"), 0) is None and "time" in ev:
                seen[ev["event"]] = round(log_time(ev["time"]) - wall0, 4)
    return seen


def wait_settled(logf, quiet, bound):
    """Until every reload the daemon started has ended (as many ReloadRequested as ConfigApplied or
    ConfigRejected lines) and its log has not grown for `quiet` s, longer than the reload debounce,
    so that no debounced reload is still pending. At most `bound` s; False if it did not settle."""
    if not logf:
        time.sleep(quiet)
        return True
    end = time.monotonic() + bound
    size, since = -1, time.monotonic()
    while time.monotonic() < end:
        s = os.path.getsize(logf)
        if s != size:
            size, since = s, time.monotonic()
        elif time.monotonic() - since >= quiet:
            started = ended = 0
            with open(logf, "rb") as f:
                for line in f:
                    started += b'"event":"ReloadRequested"' in line
                    ended += b'"event":"ConfigApplied"' in line or b'"event":"ConfigRejected"' in line
            # the first ConfigApplied is the start's, which no ReloadRequested precedes
            if started == ended - 1:
                return True
            since = time.monotonic()
        time.sleep(0.02)
    return False


def nearest_rank(sorted_vals, p):
    return sorted_vals[max(0, math.ceil(p / 100 * len(sorted_vals)) - 1)]


def edits(a, rx):
    if a.trigger == "sighup" and not a.pid:
        raise SystemExit("--trigger sighup needs --pid")
    staging = os.path.dirname(os.path.abspath(a.config).rstrip("/"))
    res = {"trigger": a.trigger, "base": a.base, "lat": [], "requested": [], "applied": []}
    quiet = lambda: wait_settled(a.log, a.quiet, 60)
    if not quiet():
        res["not_quiet_before"] = 1
    for k in range(1, a.edits + 1):
        name = "added-%03d.yaml" % k
        tmp = os.path.join(staging, "." + name)
        with open(tmp, "w") as f:
            f.write(routes.service("added-%03d" % k))
        offset = os.path.getsize(a.log) if a.log else 0
        wall0 = time.time()
        t0 = time.monotonic()
        os.rename(tmp, os.path.join(a.config, name))
        if a.trigger == "sighup":
            os.kill(a.pid, signal.SIGHUP)
        deadline = t0 + a.timeout
        while True:
            _, imported = rx.poll()
            now = time.monotonic()
            if imported == a.base + k:
                break
            if now > deadline:
                res.update(timeout=True, at_edit=k, last_imported=imported)
                return res, 2
            time.sleep(a.interval)
        res["lat"].append(round(now - t0, 4))
        # the daemon may log ConfigApplied after the route left, and a rename also wakes its file
        # watch (one more reload, debounced, when it did not coalesce with the SIGHUP): read the
        # log, and start the next edit, only once every reload has ended
        if not quiet():
            res["not_quiet_before"] = k + 1
        if a.log:
            seen = logged_after(a.log, offset, wall0, ("ReloadRequested", "ConfigApplied"))
            res["requested"].append(seen["ReloadRequested"])
            res["applied"].append(seen["ConfigApplied"])
    s = sorted(res["lat"])
    res.update(p50=nearest_rank(s, 50), p99=nearest_rank(s, 99), min=s[0], max=s[-1])
    for key in ("requested", "applied"):
        done = sorted(x for x in res[key] if x is not None)
        if done:
            res.update({key + "_p50": nearest_rank(done, 50), key + "_p99": nearest_rank(done, 99)})
    return res, 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    for name in ("phase", "edits"):
        p = sub.add_parser(name)
        p.add_argument("--sock", required=True)
        p.add_argument("--proto", required=True)
        p.add_argument("--timeout", type=float, default=300, help="bound on the phase (per edit for edits), s")
    p = sub.choices["phase"]
    p.add_argument("--exec")
    p.add_argument("--est", action="store_true")
    p.add_argument("--count", type=int)
    p.add_argument("--interval", type=float, default=0.002)
    p = sub.choices["edits"]
    p.add_argument("--config", required=True)
    p.add_argument("--base", type=int, required=True)
    p.add_argument("--edits", type=int, default=100)
    p.add_argument("--trigger", choices=["file", "sighup"], default="file")
    p.add_argument("--pid", type=int)
    p.add_argument("--log")
    p.add_argument("--quiet", type=float, default=0.4, help="daemon log silent this long (more than its reload debounce) before an edit, s")
    p.add_argument("--interval", type=float, default=0.001)
    a = ap.parse_args()
    rx = Receiver(a.sock, a.proto)
    res, rc = (phase if a.mode == "phase" else edits)(a, rx)
    print(json.dumps(res), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
