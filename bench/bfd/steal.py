#!/usr/bin/env python3
"""steal.py SECONDS OUT - samples the hypervisor's steal time every 10 ms for bench.py false-down.

One line per sample: wall clock (s), monotonic clock (s), steal ticks of all CPUs so far (/proc/stat's
eighth field of the "cpu" line, in USER_HZ). bench.py runs it under SCHED_FIFO, as BIRD, so stress-ng
cannot delay it: a late sample means the whole VM was not running, and the steal counter says whether
the hypervisor took the time.
"""
import sys
import time

end = time.monotonic() + float(sys.argv[1])
with open(sys.argv[2], "w", buffering=1 << 16) as out:
    while time.monotonic() < end:
        with open("/proc/stat") as f:
            steal = int(f.readline().split()[8])
        out.write(f"{time.time():.4f} {time.monotonic():.4f} {steal}\n")
        time.sleep(0.01)
