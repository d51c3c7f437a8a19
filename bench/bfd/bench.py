#!/usr/bin/env python3
"""bench.py - BFD through the bgplb daemon, measured at the router (BIRD 2) as shared/bench/bfd-bench.sh does.

  sudo bench/bfd/bench.py detect [--interval 50] [--mult 3] [--cuts 10]
  sudo bench/bfd/bench.py false-down [--interval 10] [--mult 3] [--seconds 600] [--routes 1000000] [--gc-every 2]

Lab (namespaces bgplbg-b-*, removed at start and in all outcomes; nothing in the root namespace):
  bgplbg-b-rtr  BIRD 2 (AS 64512, passive, protocol bfd at --interval x --mult, bgp 'bfd on', hold 9 s)
                203.0.113.1 <== veth ==> 203.0.113.2  bgplbg-b-node: bgplb run (AS 4200000001), one Service
  false-down only: bgplbg-b-feed: GoBGP (AS 64513) 198.51.100.K <== veth ==> 198.51.100.100 node,
                one gobgpd (and one BGPPeer of the daemon) per 125 000 of --routes: each injects that
                many /32s from 198.18.0.0 (bench/e2e/gobgp-inject; the benchmark block holds 131 072)
                and sends them to the daemon, so 1 000 000 routes are 8 peers' tables in its Adj-RIBs-In.

detect: --cuts silent cuts (nftables drop-all, input and output, in the node's namespace, as the
  baseline's 'blackhole'). Per cut: cut -> BIRD's BGP session leaves Established (the baseline's
  "cut -> BGP down", BIRD's control socket polled back to back, ~1 ms a poll), and cut -> the daemon's
  own BfdDown log line. The clock starts before the nft command, as in the baseline.
false-down: --seconds at --interval x --mult with stress-ng loading both cores, the route table
  arriving, and a full blocking GC forced in the daemon every --gc-every s from outside
  (induce-gc.py: the runtime's diagnostics socket). False Downs counted from both sides: BIRD's BGP
  session leaving Established or its BFD session's 'since' changing, and the daemon's BfdDown lines.
One JSON line per result on stdout and in /tmp/bgplbg-bench/results.jsonl.
"""
import argparse, atexit, json, os, re, shutil, signal, socket, statistics, struct, subprocess, sys, time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
RUN = os.environ.get("BGPLBG_RUN", "/tmp/bgplbg-bench")
DLL = os.environ.get("BGPLB_DLL", os.path.join(REPO, "src/Daemon/bin/Release/net10.0/bgplb.dll"))
RTR, NODE, FEED = "bgplbg-b-rtr", "bgplbg-b-node", "bgplbg-b-feed"
RTR_IP, NODE_IP, NODE_FEED_IP = "203.0.113.1", "203.0.113.2", "198.51.100.100"
PER_FEEDER = 125_000


def feeder_ip(k):
    return f"198.51.100.{k + 1}"
procs = []


def sh(cmd, check=True, timeout=60):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def ns(name, cmd, **kw):
    return sh(f"ip netns exec {name} {cmd}", **kw)


def need(binary, package):
    if shutil.which(binary) is None:
        print(f"installing {package} (for {binary})", file=sys.stderr)
        sh(f"DEBIAN_FRONTEND=noninteractive apt-get install -y {package}", timeout=600)


def start(cmd, log):
    p = subprocess.Popen(cmd, shell=True, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(p)
    return p


def cleanup():
    for p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    for n in (RTR, NODE, FEED):
        if os.path.exists(f"/run/netns/{n}"):
            sh(f"ip netns pids {n} | xargs -r kill -9", check=False)
            sh(f"ip netns del {n}", check=False)


def lab(feeders):
    cleanup()
    os.makedirs(RUN, exist_ok=True)
    for n in (RTR, NODE) + ((FEED,) if feeders else ()):
        sh(f"ip netns add {n}")
        ns(n, "ip link set lo up")
    sh(f"ip -n {RTR} link add r0 type veth peer name n0 netns {NODE}")
    ns(RTR, f"ip addr add {RTR_IP}/24 dev r0")
    ns(RTR, "ip link set r0 up")
    ns(NODE, f"ip addr add {NODE_IP}/24 dev n0")
    ns(NODE, "ip link set n0 up")
    if feeders:
        sh(f"ip -n {FEED} link add f0 type veth peer name n1 netns {NODE}")
        for k in range(feeders):
            ns(FEED, f"ip addr add {feeder_ip(k)}/24 dev f0")
        ns(FEED, "ip link set f0 up")
        ns(NODE, f"ip addr add {NODE_FEED_IP}/24 dev n1")
        ns(NODE, "ip link set n1 up")


def bird(interval, mult):
    conf = f"""router id {RTR_IP};
log "{RUN}/bird.log" all;
protocol device {{ }}
protocol bfd {{ interface "r0" {{ min rx interval {interval} ms; min tx interval {interval} ms; idle tx interval 1000 ms; multiplier {mult}; }}; }}
protocol bgp rtr {{
  local {RTR_IP} as 64512;
  neighbor {NODE_IP} as 4200000001;
  passive on;
  hold time 9;
  error wait time 1, 5;
  bfd on;
  ipv4 {{ import all; export none; }};
}}
"""
    open(f"{RUN}/bird.conf", "w").write(conf)
    # Real-time, as our BFD threads are, so that a late router is not read as our failure (docs/bfd.md).
    start(f"ip netns exec {RTR} chrt -f 10 bird -f -c {RUN}/bird.conf -s {RUN}/bird.ctl -P {RUN}/bird.pid", f"{RUN}/bird.out")
    for _ in range(200):
        if os.path.exists(f"{RUN}/bird.ctl"):
            return
        time.sleep(0.05)
    raise RuntimeError("BIRD did not open its control socket")


class Birdc:
    """BIRD's control socket, one connection, one request at a time: ~1 ms a query."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(f"{RUN}/bird.ctl")
        self.buf = b""
        self._answer()

    def _answer(self):
        lines = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise RuntimeError("BIRD closed its control socket")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            text = line.decode()
            lines.append(text)
            if len(text) >= 5 and text[:4].isdigit() and text[4] == " " and text[0] in "0189":
                return lines

    def ask(self, command):
        self.s.sendall(command.encode() + b"\n")
        return self._answer()

    def established(self):
        return any("Established" in line for line in self.ask("show protocols rtr"))

    def bfd(self):
        """(state, since, interval ms) of the session with the node, or None."""
        for line in self.ask("show bfd sessions"):
            m = re.search(re.escape(NODE_IP) + r"\s+\S+\s+(\w+)\s+(\S+)\s+([\d.]+)", line)
            if m:
                return m.group(1), m.group(2), float(m.group(3)) * 1000
        return None

    def since(self):
        """When BIRD's BGP session last changed state ('show protocols' since column)."""
        for line in self.ask("show protocols rtr"):
            m = re.search(r"rtr\s+BGP\s+\S+\s+\S+\s+(\S+)", line)
            if m:
                return m.group(1)
        return None

    def routes(self):
        for line in self.ask("show route count"):
            m = re.search(r"(\d+) of \d+ routes", line)
            if m:
                return int(m.group(1))
        return 0


def daemon_config(interval, mult, feeders):
    peers = f"""apiVersion: bgplb.io/v1beta1
kind: BGPPeer
metadata: {{ name: router }}
spec: {{ myASN: 4200000001, peerASN: 64512, peerAddress: {RTR_IP}, holdTime: 9s, bfdProfile: fast }}
---
"""
    for k in range(feeders):
        peers += f"""apiVersion: bgplb.io/v1beta1
kind: BGPPeer
metadata: {{ name: feed{k} }}
spec: {{ myASN: 4200000001, peerASN: 64513, peerAddress: {feeder_ip(k)}, holdTime: 90s }}
---
"""
    return peers + f"""apiVersion: bgplb.io/v1beta1
kind: BFDProfile
metadata: {{ name: fast }}
spec: {{ receiveInterval: {interval}, transmitInterval: {interval}, detectMultiplier: {mult} }}
---
apiVersion: bgplb.io/v1beta1
kind: IPAddressPool
metadata: {{ name: vips }}
spec: {{ addresses: [198.18.0.1-198.18.0.254] }}
---
apiVersion: bgplb.io/v1beta1
kind: BGPAdvertisement
metadata: {{ name: to-router }}
spec: {{ ipAddressPools: [vips], peers: [router] }}
---
apiVersion: v1
kind: Service
metadata: {{ name: web, namespace: default }}
spec: {{ type: LoadBalancer, ports: [{{ port: 80, protocol: TCP }}], selector: {{ app: web }} }}
"""


def daemon(interval, mult, feeders):
    if not os.path.exists(DLL):
        sh(f"dotnet build -c Release {REPO}/src/Daemon", timeout=900)
    open(f"{RUN}/bgplb.yaml", "w").write(daemon_config(interval, mult, feeders))
    if os.path.exists(f"{RUN}/state.json"):
        os.remove(f"{RUN}/state.json")
    # exec: the PID is the daemon's own (ip netns exec execs too), which induce-gc.py and /proc need.
    p = start(f"exec ip netns exec {NODE} dotnet {DLL} run --config {RUN}/bgplb.yaml --state {RUN}/state.json --admin-socket {RUN}/admin.sock --log-format json --bgp-port 0",
              f"{RUN}/bgplb.log")
    return p


def daemon_events(name):
    out = []
    for line in open(f"{RUN}/bgplb.log"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") == name:
            out.append((datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp(), e.get("message", "")))
    return out


def wait(what, condition, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not within {timeout} s; see {RUN}/bird.log and {RUN}/bgplb.log")


def settle(b, interval):
    wait("BGP Established, BFD Up at the configured interval, our route at BIRD",
         lambda: b.established() and (b.bfd() or ("", "", 0))[0] == "Up" and abs((b.bfd() or ("", "", 0))[2] - interval) < 0.5 and b.routes() >= 1, 90)


CUT = """table inet bgplbg_cut {
  chain in { type filter hook input priority -10; policy drop; }
  chain out { type filter hook output priority -10; policy drop; }
}
"""


def detect(a):
    need("bird", "bird2")
    need("nft", "nftables")
    lab(feeders=0)
    open(f"{RUN}/cut.nft", "w").write(CUT)
    bird(a.interval, a.mult)
    daemon(a.interval, a.mult, feeders=0)
    b = Birdc()
    results = []
    for i in range(a.cuts):
        settle(b, a.interval)
        time.sleep(2)
        seen = len(daemon_events("BfdDown"))
        t0 = time.time()
        ns(NODE, f"nft -f {RUN}/cut.nft")
        while b.established():
            if time.time() - t0 > 15:
                raise RuntimeError("BIRD kept the session 15 s after the cut")
        down_ms = (time.time() - t0) * 1000
        wait("the daemon's BfdDown", lambda: len(daemon_events("BfdDown")) > seen, 10)
        ours_ms = (daemon_events("BfdDown")[seen][0] - t0) * 1000
        reason = next((l for l in b.ask("show protocols all rtr") if "Last error" in l), "").split("Last error:")[-1].strip()
        ns(NODE, "nft delete table inet bgplbg_cut")
        results.append({"cut": i + 1, "router_bgp_down_ms": round(down_ms, 1), "our_bfd_down_ms": round(ours_ms, 1), "reason": reason})
        print(json.dumps(results[-1]), flush=True)
    summary = {
        "bench": "bfd-detect", "interval_ms": a.interval, "mult": a.mult, "cuts": len(results),
        "router_bgp_down_ms": stats([r["router_bgp_down_ms"] for r in results]),
        "our_bfd_down_ms": stats([r["our_bfd_down_ms"] for r in results]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": os.getloadavg(),
    }
    record(summary)


def stats(v):
    return {"median": round(statistics.median(v), 1), "min": round(min(v), 1), "max": round(max(v), 1)}


def record(summary):
    print(json.dumps(summary), flush=True)
    with open(f"{RUN}/results.jsonl", "a") as f:
        f.write(json.dumps(summary) + "\n")


def gobgp_inject_binary():
    binary = f"{RUN}/bin/gobgp-inject"
    src = f"{REPO}/bench/e2e/gobgp-inject/main.go"
    if os.path.exists(binary) and os.path.getmtime(binary) > os.path.getmtime(src):
        return binary
    need("go", "golang-go")
    if not os.path.isdir("/usr/share/gocode/src/github.com/osrg/gobgp"):
        sh("DEBIAN_FRONTEND=noninteractive apt-get install -y golang-github-osrg-gobgp-dev", timeout=600)
    g = f"{RUN}/gopath"
    os.makedirs(f"{g}/src/github.com/osrg/gobgp", exist_ok=True)
    os.makedirs(f"{g}/src/bgplbg/gobgp-inject", exist_ok=True)
    os.makedirs(f"{RUN}/bin", exist_ok=True)
    # Debian packages GoBGP v3 at github.com/osrg/gobgp; GOPATH mode needs the /v3 path the source imports.
    link = f"{g}/src/github.com/osrg/gobgp/v3"
    if not os.path.islink(link):
        os.symlink("/usr/share/gocode/src/github.com/osrg/gobgp", link)
    shutil.copy(src, f"{g}/src/bgplbg/gobgp-inject/")
    sh(f"cd {g}/src/bgplbg/gobgp-inject && GOPATH={g}:/usr/share/gocode GO111MODULE=off GOCACHE={RUN}/gocache go build -o {binary} .", timeout=900)
    return binary


def find_key(value, name):
    """The first integer under a key spelled like name anywhere in a JSON value (GoBGP's key style varies by version), else 0."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k.replace("_", "").lower() == name and isinstance(v, int):
                return v
            found = find_key(v, name)
            if found:
                return found
    if isinstance(value, list):
        for v in value:
            found = find_key(v, name)
            if found:
                return found
    return 0


def pcap_gaps(path, source, interval_ms):
    """Gaps between BFD packets from source in a pcap (Ethernet, microsecond stamps): max, p99.9, and the
    ten longest beyond 1.2 x the interval (a sender never waits longer than the interval, RFC 5880 §6.8.7) with their times."""
    times = []
    with open(path, "rb") as f:
        f.read(24)
        while True:
            header = f.read(16)
            if len(header) < 16:
                break
            sec, usec, caplen, _ = struct.unpack("<IIII", header)
            frame = f.read(caplen)
            if len(frame) >= 34 and frame[12:14] == b"\x08\x00" and socket.inet_ntoa(frame[26:30]) == source:
                times.append(sec + usec / 1e6)
    gaps = sorted(((b - a) * 1000, a) for a, b in zip(times, times[1:]))
    if not gaps:
        return None
    late = [(g, t) for g, t in gaps if g > 1.2 * interval_ms]
    return {"packets": len(times), "max": round(gaps[-1][0], 1), "p999": round(gaps[int(len(gaps) * 0.999)][0], 1),
            "over_1.2x_interval": len(late),
            "longest": [(time.strftime("%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}", round(g, 1)) for g, t in late[-10:]],
            "longest_raw": [(time.strftime("%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}", round(g, 1), t) for g, t in late[-10:]]}


def steal_report(path, incidents):
    """What steal.py saw: steal time in all (CPU-seconds), the most in any 200 ms, the sampler's longest
    wait between samples (10 ms asked, under SCHED_FIFO), and per incident (a BFD packet gap: wall-clock
    start, length in ms) the CPU-ms stolen during it."""
    rows = []
    for line in open(path):
        parts = line.split()
        if len(parts) == 3:
            rows.append((float(parts[0]), float(parts[1]), int(parts[2])))
    if len(rows) < 2:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    most, j = 0, 0
    for i in range(len(rows)):
        while rows[i][1] - rows[j][1] > 0.2:
            j += 1
        most = max(most, rows[i][2] - rows[j][2])

    def stolen(start, end):
        inside = [r[2] for r in rows if start - 0.01 <= r[0] <= end + 0.01]
        return round((max(inside) - min(inside)) * 1000 / hz) if inside else None

    return {"total_cpu_s": round((rows[-1][2] - rows[0][2]) / hz, 2), "max_cpu_ms_in_200ms": round(most * 1000 / hz),
            "sampler_max_wait_ms": round(max((b[1] - a[1]) * 1000 for a, b in zip(rows, rows[1:])), 1),
            "during_gaps": [(t, g, stolen(start, start + g / 1000)) for t, g, start in incidents]}


def false_down(a):
    need("bird", "bird2")
    need("gobgpd", "gobgpd")
    need("stress-ng", "stress-ng")
    inject = gobgp_inject_binary()
    feeders = -(-a.routes // PER_FEEDER)
    lab(feeders)
    bird(a.interval, a.mult)
    d = daemon(a.interval, a.mult, feeders)
    b = Birdc()
    settle(b, a.interval)
    gobgps = []
    for k in range(feeders):
        ip = feeder_ip(k)
        open(f"{RUN}/gobgpd{k}.toml", "w").write(f'[global.config]\n  as = 64513\n  router-id = "{ip}"\n  local-address-list = ["{ip}"]\n')
        start(f"exec ip netns exec {FEED} gobgpd -f {RUN}/gobgpd{k}.toml --api-hosts 127.0.0.1:{50051 + k} --pprof-disable -l warn", f"{RUN}/gobgpd{k}.log")
        gobgps.append(f"ip netns exec {FEED} gobgp -u 127.0.0.1 -p {50051 + k}")
    for g in gobgps:
        wait("gobgpd's API", lambda: subprocess.run(f"{g} global", shell=True, capture_output=True).returncode == 0, 60)
    bgp_since = b.since()
    bfd_since = b.bfd()[1]
    capture = None
    if a.capture:
        need("tcpdump", "tcpdump")
        # In the router's namespace on its veth: BIRD's packets as they leave BIRD (egress tap, before the
        # veth hands them over), ours as they arrive; -B: a large buffer, so the loaded machine drops none.
        capture = start(f"exec ip netns exec {RTR} tcpdump -i r0 -B 16384 -n -w {RUN}/bfd.pcap udp port 3784", f"{RUN}/tcpdump.log")
    # Steal time (the hypervisor running another guest on our vCPUs), sampled at SCHED_FIFO like BIRD, so a
    # gap in both directions at once can be told apart: the VM stopped, or something inside it.
    steal = start(f"exec chrt -f 10 python3 {HERE}/steal.py {a.seconds + 30} {RUN}/steal.log", f"{RUN}/steal.err")
    stress = start(f"stress-ng --cpu 2 --timeout {a.seconds + 60}s", f"{RUN}/stress.log")
    gc = start(f"python3 {HERE}/induce-gc.py {d.pid} --every {a.gc_every} --for {a.seconds}", f"{RUN}/gc.log") if a.gc_every > 0 else None
    t0 = time.monotonic()
    # Each feeder loads its table, then peers with the daemon: the tables arrive one after the other, under load.
    for k, g in enumerate(gobgps):
        n = min(PER_FEEDER, a.routes - k * PER_FEEDER)
        ns(FEED, f"{inject} -target 127.0.0.1:{50051 + k} -n {n} -nexthop {feeder_ip(k)} -timeout 600s", timeout=900)
        sh(f"{g} neighbor add {NODE_FEED_IP} as 4200000001")
    router_drops = 0
    was_up = True
    sent_at = None
    polls = 0
    while time.monotonic() - t0 < a.seconds:
        up = b.established()
        polls += 1
        if was_up and not up:
            router_drops += 1
            print(f"{time.strftime('%H:%M:%S')} BIRD's BGP session left Established", flush=True)
        was_up = up
        if sent_at is None and polls % 200 == 0:
            advertised = 0
            for g in gobgps:
                out = subprocess.run(f"{g} -j neighbor {NODE_FEED_IP}", shell=True, capture_output=True, text=True).stdout
                try:
                    advertised += find_key(json.loads(out), "advertised")
                except ValueError:
                    pass
            if advertised >= a.routes:
                sent_at = time.monotonic() - t0
                print(f"{time.strftime('%H:%M:%S')} GoBGP has sent all {a.routes} routes ({sent_at:.0f} s)", flush=True)
        time.sleep(0.005)
    if gc is not None:
        gc.wait(timeout=60)
    gcs = [float(l.split()[-2]) for l in open(f"{RUN}/gc.log") if " gc " in l] if gc is not None else []
    gaps = None
    if capture is not None:
        os.kill(capture.pid, signal.SIGINT)
        capture.wait(timeout=10)
        gaps = {"bird_to_us": pcap_gaps(f"{RUN}/bfd.pcap", RTR_IP, a.interval), "us_to_bird": pcap_gaps(f"{RUN}/bfd.pcap", NODE_IP, a.interval),
                "tcpdump": open(f"{RUN}/tcpdump.log").read().strip().splitlines()[-1:]}
    steal.terminate()
    steal.wait(timeout=10)
    # The three longest gaps each way, with the steal during each.
    incidents = []
    for way in ("bird_to_us", "us_to_bird"):
        for t, g, start_s in ((gaps or {}).get(way) or {}).get("longest_raw", [])[-3:]:
            incidents.append((f"{way} {t}", g, start_s))
    bfd_now = b.bfd()
    summary = {
        "bench": "bfd-false-down", "interval_ms": a.interval, "mult": a.mult, "seconds": a.seconds, "routes": a.routes, "feeders": feeders,
        "routes_sent_after_s": round(sent_at, 1) if sent_at is not None else None,
        "forced_gcs": len(gcs), "gc_request_ms": stats(gcs) if gcs else None,
        "daemon_rss_mb": int(open(f"/proc/{d.pid}/status").read().split("VmRSS:")[1].split()[0]) // 1024 if d.poll() is None else None,
        "false_downs_router_bgp": router_drops,
        "router_bgp_since_changed": b.since() != bgp_since,
        "router_bfd_since_changed": bfd_now is None or bfd_now[1] != bfd_since or bfd_now[0] != "Up",
        "false_downs_daemon_bfd": len(daemon_events("BfdDown")) + len(daemon_events("BfdLostWithWorker")),
        "bfd_packet_gaps_ms": {k: ({kk: vv for kk, vv in v.items() if kk != "longest_raw"} if isinstance(v, dict) else v) for k, v in gaps.items()} if gaps else None,
        "steal": steal_report(f"{RUN}/steal.log", incidents),
        "stress_ng": "--cpu 2", "load": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    stress.poll()
    record(summary)


def main():
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    d = sub.add_parser("detect")
    d.add_argument("--interval", type=int, default=50)
    d.add_argument("--mult", type=int, default=3)
    d.add_argument("--cuts", type=int, default=10)
    f = sub.add_parser("false-down")
    f.add_argument("--interval", type=int, default=10)
    f.add_argument("--mult", type=int, default=3)
    f.add_argument("--seconds", type=int, default=600)
    f.add_argument("--routes", type=int, default=1_000_000)
    f.add_argument("--gc-every", type=float, default=2, help="0: no forced GCs (a control run)")
    f.add_argument("--capture", action="store_true", help="tcpdump at the router: gaps between BFD packets each way")
    a = p.parse_args()
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    detect(a) if a.mode == "detect" else false_down(a)


if __name__ == "__main__":
    main()
