#!/usr/bin/env bash
# Issue 10's controller scale test at full size, on a real kube-apiserver + etcd (127.0.0.1 only):
# ControllerTests.A_restart_converges_within_5_s_and_slack_moves_no_IP_and_writes_no_status with SERVICES
# LoadBalancer Services and NODES Nodes (the suite runs it with 1,000 and 100). A first `bgplb controller`
# (as the bgplb-controller ServiceAccount) allocates them all, is stopped with SIGTERM, and a second one
# must list, restore and check every Service within 5 s of its process start (asserted with 10 s of slack for
# a loaded machine; the time is printed), move no IP and send no status write (the audit log counts them).
# Takes 10-20 minutes on a 2-core VM, most of it creating the Services and the first controller's 10,000 status writes.
# Prints the test's measurements ("restart: ..." lines, and the new controller's log with timestamps) and its verdict; the whole output is kept in
# bgplbx-controller-scale.log under $TMPDIR. Needs kubectl and etcd (see tests/Kubernetes.Tests/apiserver.sh).
# Usage: bench/k8s/controller-scale.sh [SERVICES] [NODES]   (default 10000 100; BGPLB_CONTROLLER_BINARY=jit: the JIT build)
set -euo pipefail
cd "$(dirname "$0")/../.."
export BGPLB_TEST_APISERVER=${BGPLB_TEST_APISERVER:-$PWD/tests/Kubernetes.Tests/apiserver.sh}
export BGPLB_SCALE_SERVICES=${1:-10000} BGPLB_SCALE_NODES=${2:-100}
log=${TMPDIR:-/tmp}/bgplbx-controller-scale.log
dotnet build tests/Kubernetes.Tests -c Release -warnaserror -nologo -v quiet >/dev/null
# The controllers run as operators run them: the Native AOT executable, published here
# (BGPLB_CONTROLLER_BINARY=jit runs the test's `dotnet bgplb.dll` instead).
. bench/k8s/aot-binary.sh
aot_binary BGPLB_CONTROLLER_BINARY "${TMPDIR:-/tmp}/bgplbx-controller-aot"
set +e
dotnet test tests/Kubernetes.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~ControllerTests.A_restart_converges_within_5_s_and_slack" \
  --logger "console;verbosity=detailed" >"$log" 2>&1
rc=$?
set -e
grep -E '^ *restart: |^ *[0-9-]+T[0-9:.]+Z ' "$log" | sed 's/^ *//' | awk '!seen[$0]++'
grep -E '^ *(Passed|Failed) BgpLb' "$log" | sed 's/^ *//'
[ $rc -eq 0 ] || { grep -A3 -E '^ *Error Message:' "$log" | head -8; echo "full output: $log" >&2; }
exit $rc
