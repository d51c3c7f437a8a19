#!/usr/bin/env python3
"""induce-gc.py PID [--every SECONDS] [--for SECONDS] - force full blocking GCs in a .NET process from outside.

No hook in bgplb: this talks the runtime's own diagnostics IPC protocol (the unix socket
/tmp/dotnet-diagnostic-PID-*-socket every .NET process opens; protocol: dotnet/diagnostics,
documentation/design-docs/ipc-protocol.md). It starts an EventPipe session enabling the
Microsoft-Windows-DotNETRuntime provider's GCHeapCollect keyword (0x800000), which makes the runtime
run an induced, blocking, full (gen2) collection - how heap-dump tools take their snapshot - then
stops the session. One line per GC: the wall time the request took (the pause plus the IPC round trips).
"""
import argparse, glob, os, socket, struct, sys, threading, time

MAGIC = b"DOTNET_IPC_V1\0"
EVENTPIPE, COLLECT_TRACING2, STOP_TRACING = 0x02, 0x03, 0x01
GC_HEAP_COLLECT = 0x800000
INFORMATIONAL = 4


def diag_socket(pid):
    found = glob.glob(f"/tmp/dotnet-diagnostic-{pid}-*-socket")
    if not found:
        sys.exit(f"no diagnostics socket for PID {pid} (/tmp/dotnet-diagnostic-{pid}-*-socket): not a .NET process, "
                 "or DOTNET_EnableDiagnostics=0")
    return max(found, key=os.path.getmtime)


def ipc_string(s):
    if s is None:
        return struct.pack("<I", 0)
    data = (s + "\0").encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def message(command, payload):
    return MAGIC + struct.pack("<HBBH", 20 + len(payload), EVENTPIPE, command, 0) + payload


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the runtime closed the diagnostics connection")
        data += chunk
    return data


def reply(conn):
    header = read_exact(conn, 20)
    if header[:14] != MAGIC:
        raise ConnectionError(f"not a diagnostics reply: {header!r}")
    size, command_set, command, _ = struct.unpack("<HBBH", header[14:])
    payload = read_exact(conn, size - 20)
    if command_set == 0xFF and command == 0xFF:  # server error: HRESULT
        raise ConnectionError(f"runtime refused the request: HRESULT 0x{struct.unpack('<I', payload[:4])[0]:08x}")
    return payload


def induce(path):
    start = time.monotonic()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    provider = struct.pack("<QI", GC_HEAP_COLLECT, INFORMATIONAL) + ipc_string("Microsoft-Windows-DotNETRuntime") + ipc_string(None)
    # circular buffer MB, format 1 (NetTrace), no rundown, one provider
    conn.sendall(message(COLLECT_TRACING2, struct.pack("<IIB", 16, 1, 0) + struct.pack("<I", 1) + provider))
    session = struct.unpack("<Q", reply(conn)[:8])[0]
    # The trace streams on this connection until the session stops: drain it so the runtime never blocks on us.
    drain = threading.Thread(target=lambda: _drain(conn), daemon=True)
    drain.start()
    # The GC runs when the provider is enabled; a short wait lets it finish before the session ends.
    time.sleep(0.05)
    stop = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stop.connect(path)
    stop.sendall(message(STOP_TRACING, struct.pack("<Q", session)))
    reply(stop)
    stop.close()
    drain.join(timeout=10)
    conn.close()
    return (time.monotonic() - start) * 1000


def _drain(conn):
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("pid", type=int)
    p.add_argument("--every", type=float, default=0, help="seconds between GCs (0: one GC)")
    p.add_argument("--for", dest="duration", type=float, default=0, help="keep going this many seconds")
    a = p.parse_args()
    path = diag_socket(a.pid)
    end = time.monotonic() + a.duration
    n = 0
    while True:
        ms = induce(path)
        n += 1
        print(f"{time.strftime('%H:%M:%S')} gc {n} requested, {ms:.0f} ms", flush=True)
        if a.every <= 0 or time.monotonic() + a.every > end:
            break
        time.sleep(a.every)


if __name__ == "__main__":
    main()
