# Sourced by the L2 benches: one Ethernet segment in namespaces named $P-*: a bridge ($P-sw), a client
# (198.51.100.1, 2001:db8:2::1, the VIP ranges on-link) and nodes n1..n3 (198.51.100.1I, 2001:db8:2::1I,
# default routes on eth0), each joined to the bridge by a veth whose inner end is eth0; and the helpers
# the benches share. Needs $P set; creates nothing outside its namespaces.
make_segment() {
  ip netns add $P-sw; ip -n $P-sw link add br0 type bridge; ip -n $P-sw link set br0 up
  local i=0 h a
  for h in client n1 n2 n3; do
    ip netns add $P-$h
    ip -n $P-$h link add eth0 type veth peer name p$i netns $P-sw
    ip -n $P-sw link set p$i master br0 up
    a=1; [ $h != client ] && a=1${h#n}
    ip -n $P-$h addr add 198.51.100.$a/24 dev eth0
    ip -n $P-$h -6 addr add 2001:db8:2::$a/64 dev eth0 nodad
    ip -n $P-$h link set lo up; ip -n $P-$h link set eth0 up
    i=$((i+1))
  done
  ip -n $P-client route add 198.18.0.0/15 dev eth0
  ip -n $P-client -6 route add 2001:db8:ffff::/48 dev eth0
  for h in n1 n2 n3; do ip -n $P-$h route add default dev eth0; ip -n $P-$h -6 route add default dev eth0; done
}
# Removes every namespace of this bench (and kills what runs in them), from this run or a crashed one.
remove_segment() {
  local n
  for n in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns pids "$n" | xargs -r kill -9; ip netns del "$n"; done
}
mac() { ip -n $P-$1 -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
neigh() { ip -n $P-client neigh show "$1" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
now() { date +%s%3N; }
# Owner and next of a Service in MetalLB's order: sha256(node#ip) of its first address ($1).
election_order() { for n in n1 n2 n3; do printf '%s %s\n' "$(printf '%s' "$n#$1" | sha256sum | cut -c1-64)" $n; done | sort | awk '{printf "%s ", $2} END {print ""}'; }
# Median and max of the numbers on standard input (one per word).
stats() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "median %s ms, max %s ms (n=%d)", m, a[NR], NR}'; }
