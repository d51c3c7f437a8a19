#!/bin/bash
# A real Kubernetes API server (kube-apiserver + etcd) on 127.0.0.1 for the Kubernetes tests and the
# scale bench, sized for them. Same interface as the team's ../shared/k8s/apiserver.sh, which
# BGPLB_TEST_APISERVER may name instead:
#
#   apiserver.sh start DIR   start etcd + kube-apiserver with state, certificates and logs under DIR;
#                            prints the kubeconfig path (DIR/kubeconfig) once /readyz answers ok
#   apiserver.sh stop DIR    stop both, by the PIDs recorded in DIR
#
# What differs from the shared script, and why:
# - --service-cluster-ip-range=10.96.0.0/16: every Service of type LoadBalancer takes a ClusterIP,
#   and the scale test holds 10,000 of them (a /24 holds 254). These addresses are never on a wire.
# - an audit log (DIR/audit.log, one JSON line per request) of the writes to Services and their
#   status, and of Events: what the tests count status writes from (who wrote, when), whether or
#   not a write changed anything.
# - etcd without fsync (--unsafe-no-fsync): the state is thrown away after the run, and 10,000
#   creations each waiting for a disk flush on a shared VM take minutes instead of seconds.
#
# Binaries, none downloaded: kube-apiserver and etcd from $KUBEBUILDER_ASSETS when set (the envtest
# layout); otherwise etcd from PATH (Debian's etcd-server, installed when missing) and kube-apiserver
# from PATH, else decompressed from kube-apiserver-v1.24.xz next to the shared script
# ($BGPLB_SHARED_K8S, default ../shared/k8s beside the repository), as that script does.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop_pid() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
stop)
  stop_pid "$dir/apiserver.pid"; stop_pid "$dir/etcd.pid"; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

mkdir -p "$dir/pki" "$dir/bin"
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  etcd=$KUBEBUILDER_ASSETS/etcd; apiserver=$KUBEBUILDER_ASSETS/kube-apiserver
  for b in "$etcd" "$apiserver"; do [ -x "$b" ] || { echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $(basename "$b")" >&2; exit 1; }; done
else
  if ! command -v etcd >/dev/null || ! command -v openssl >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "etcd and openssl are needed: apt-get install etcd-server openssl (as root)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server openssl >/dev/null
  fi
  etcd=$(command -v etcd)
  if command -v kube-apiserver >/dev/null; then
    apiserver=$(command -v kube-apiserver)
  else
    shared=${BGPLB_SHARED_K8S:-$HERE/../../../shared/k8s}
    xz=$shared/kube-apiserver-v1.24.xz
    [ -f "$xz" ] || { echo "no kube-apiserver: not on PATH, KUBEBUILDER_ASSETS unset, and no $xz (set BGPLB_SHARED_K8S to its folder)" >&2; exit 1; }
    apiserver=$dir/bin/kube-apiserver
    [ -x "$apiserver" ] || { xz -dc "$xz" > "$apiserver.tmp" && chmod +x "$apiserver.tmp" && mv "$apiserver.tmp" "$apiserver"; }
  fi
fi

p=$dir/pki
if [ ! -f "$p/apiserver.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=test-ca" \
    -keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$p/apiserver.key" -out "$p/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$p/san.ext"
  openssl x509 -req -in "$p/apiserver.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
    -days 3650 -extfile "$p/san.ext" -out "$p/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
  openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  echo "test-admin-token,admin,admin-uid,system:masters" > "$p/tokens.csv"
fi

# Writes only: reads and watches would make the log the size of the run's traffic. The controller's writes of
# Service status and of the configuration objects' status are what the tests count.
cat > "$dir/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete]
  resources:
  - group: ""
    resources: [services, services/status, events]
  - group: bgplb.io
    resources: [ipaddresspools/status, bgppeers/status, bgpadvertisements/status, l2advertisements/status, bfdprofiles/status, communities/status]
- level: None
EOF

ec=$(free_port); ep=$(free_port); api=$(free_port)
setsid "$etcd" --name t --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$ec" --advertise-client-urls "http://127.0.0.1:$ec" \
  --listen-peer-urls "http://127.0.0.1:$ep" --initial-advertise-peer-urls "http://127.0.0.1:$ep" \
  --initial-cluster "t=http://127.0.0.1:$ep" >"$dir/etcd.log" 2>&1 </dev/null &
echo $! > "$dir/etcd.pid"
setsid "$apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api" \
  --etcd-servers="http://127.0.0.1:$ec" \
  --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" --client-ca-file="$p/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
  --token-auth-file="$p/tokens.csv" --authorization-mode=RBAC \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
  --audit-policy-file="$dir/audit-policy.yaml" --audit-log-path="$dir/audit.log" --audit-log-maxsize=0 \
  --feature-gates=CustomResourceValidationExpressions=true \
  --cert-dir="$dir/certs" >"$dir/apiserver.log" 2>&1 </dev/null &
echo $! > "$dir/apiserver.pid"

cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:$api", certificate-authority: "$p/ca.crt"}
users:
- name: admin
  user: {token: test-admin-token}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
EOF

for _ in $(seq 1 300); do
  if curl -sf --cacert "$p/ca.crt" -H "Authorization: Bearer test-admin-token" \
       "https://127.0.0.1:$api/readyz" >/dev/null 2>&1; then
    echo "$dir/kubeconfig"; exit 0
  fi
  kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || break
  sleep 0.1
done
echo "kube-apiserver did not become ready; see $dir/apiserver.log" >&2
"$0" stop "$dir"; exit 1
