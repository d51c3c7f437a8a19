#!/usr/bin/env bash
# Issue 10's speaker memory line ("speaker memory ≤ 150 MiB" at 10,000 Services and 100 Nodes), on a real
# kube-apiserver + etcd (127.0.0.1 only): SpeakerMemoryTests.One_speaker_announces_every_Service_of_a_large_cluster_within_150_MiB
# with SERVICES LoadBalancer Services (status written as the controller would, addresses 198.18.0.0/18) and NODES Nodes,
# a pool, a BGPPeer and a BGPAdvertisement; ONE `bgplb speaker` (the Native AOT executable, as operators run it, published
# here; BGPLB_SPEAKER_BINARY=jit runs the test's `dotnet bgplb.dll` instead) in a network namespace (bgplbm2-*, or
# $BGPLB_BENCH_PREFIX-* when set, so that two benches on one machine never clean each other's), as the
# bgplb-speaker ServiceAccount, announcing to BIRD in another. Prints the time from the speaker's start to all routes at
# BIRD and its VmHWM / VmRSS (/proc/PID/status) then and after STEADY seconds (default 60), and the verdict (VmHWM ≤ 150 MiB).
# Takes about 10 minutes on a 2-core VM at 10,000, most of it creating the Services and writing their status.
# The whole output is kept in PREFIX-speaker-memory.log under $TMPDIR. Needs root, bird2, kubectl and etcd (./test.sh installs them).
# Usage: bench/k8s/speaker-memory.sh [SERVICES] [NODES] [STEADY]   (default 10000 100 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
export BGPLB_TEST_APISERVER=${BGPLB_TEST_APISERVER:-$PWD/tests/Kubernetes.Tests/apiserver.sh}
export BGPLB_SCALE_SERVICES=${1:-10000} BGPLB_SCALE_NODES=${2:-100} BGPLB_SCALE_STEADY_SECONDS=${3:-60}
prefix=${BGPLB_BENCH_PREFIX:-bgplbm2}
log=${TMPDIR:-/tmp}/$prefix-speaker-memory.log
. bench/k8s/aot-binary.sh
aot_binary BGPLB_SPEAKER_BINARY "${TMPDIR:-/tmp}/$prefix-speaker-aot"
# The executable carries its GC settings (src/Daemon/Daemon.csproj: a 4 MiB gen0 budget); DOTNET_GCgen0size set
# here (hexadecimal without 0x, e.g. 1000000 for 16 MiB) overrides the budget, as it would in the DaemonSet.
if [ -n "${DOTNET_GCgen0size:-}" ]; then echo "speaker-memory: gen0 budget DOTNET_GCgen0size=$DOTNET_GCgen0size (hex)"; else echo "speaker-memory: gen0 budget 4 MiB (built in)"; fi
dotnet build tests/Kubernetes.Tests -c Release -warnaserror -nologo -v quiet >/dev/null
set +e
dotnet test tests/Kubernetes.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~SpeakerMemoryTests" \
  --logger "console;verbosity=detailed" >"$log" 2>&1
rc=$?
set -e
grep -E '^ *speaker-memory: ' "$log" | sed 's/^ *//' | awk '!seen[$0]++'
grep -E '^ *(Passed|Failed) BgpLb' "$log" | sed 's/^ *//'
[ $rc -eq 0 ] || { grep -A3 -E '^ *Error Message:' "$log" | head -8; echo "full output: $log" >&2; }
exit $rc
