#!/usr/bin/python3
"""Write the N /32 routes of the bench in each sender's input format.

  routes.py FORMAT N OUT [--peer 203.0.113.1] [--my-as 64513] [--peer-as 64512]

Routes are 198.18.0.0, 198.18.0.1, ... (inside 198.18.0.0/15, RFC 2544: N <= 131072).

FORMAT  OUT       what
bird    file      'route P/32 blackhole;' lines for a BIRD static protocol
frr     file      ' network P/32' lines for FRR's 'address-family ipv4 unicast'
exabgp  file      '    route P/32 next-hop self;' lines for an ExaBGP 'static { }' block
exaapi  file      ExaBGP API lines 'announce attributes next-hop self nlri P1 ... P500'
bgplb   folder    bgp.yaml (IPAddressPool 198.18.0.0/15, BGPPeer to the receiver, BGPAdvertisement),
                  services.yaml (N Services of type LoadBalancer, each gets one /32 from the pool)
                  and, next to the folder, OUT.noadv.yaml: bgp.yaml without the BGPAdvertisement
                  and OUT.adv.yaml: a copy of bgp.yaml (withdraw-all / re-announce-all swap them in)
"""
import argparse
import ipaddress
import os

FIRST = int(ipaddress.IPv4Address("198.18.0.0"))
CAPACITY = 1 << 17  # 198.18.0.0/15
API_BATCH = 500


def prefixes(n):
    if not 1 <= n <= CAPACITY:
        raise SystemExit("N must be 1..%d (the /32s of 198.18.0.0/15), not %d" % (CAPACITY, n))
    return (str(ipaddress.IPv4Address(FIRST + i)) for i in range(n))


def service(name):
    return (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: bench\n"
        "spec:\n  type: LoadBalancer\n  ports:\n    - port: 80\n  selector:\n    app: %s\n" % (name, name)
    )


def bgp_yaml(a, with_advertisement):
    docs = [
        "apiVersion: bgplb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: bench\n"
        "spec:\n  addresses:\n    - 198.18.0.0/15\n",
        # hold time 9 s, as the receiver offers to every sender
        "apiVersion: bgplb.io/v1beta1\nkind: BGPPeer\nmetadata:\n  name: receiver\n"
        "spec:\n  myASN: %d\n  peerASN: %d\n  peerAddress: %s\n  holdTime: 9s\n" % (a.my_as, a.peer_as, a.peer),
    ]
    if with_advertisement:
        docs.append(
            "apiVersion: bgplb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: bench\n"
            "spec:\n  ipAddressPools:\n    - bench\n"
        )
    return "---\n".join(docs)


def write_bgplb(a):
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        os.unlink(os.path.join(a.out, f))
    with open(os.path.join(a.out, "bgp.yaml"), "w") as f:
        f.write(bgp_yaml(a, True))
    with open(a.out.rstrip("/") + ".adv.yaml", "w") as f:
        f.write(bgp_yaml(a, True))
    with open(a.out.rstrip("/") + ".noadv.yaml", "w") as f:
        f.write(bgp_yaml(a, False))
    if not 1 <= a.n <= CAPACITY:
        raise SystemExit("N must be 1..%d" % CAPACITY)
    with open(os.path.join(a.out, "services.yaml"), "w") as f:
        f.write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n")
        for i in range(a.n):
            f.write("---\n")
            f.write(service("svc-%06d" % i))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("format", choices=["bird", "frr", "exabgp", "exaapi", "bgplb"])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--peer", default="203.0.113.1")
    ap.add_argument("--my-as", type=int, default=64513)
    ap.add_argument("--peer-as", type=int, default=64512)
    a = ap.parse_args()
    if a.format == "bgplb":
        write_bgplb(a)
        return
    with open(a.out, "w") as f:
        if a.format == "bird":
            f.writelines("route %s/32 blackhole;\n" % p for p in prefixes(a.n))
        elif a.format == "frr":
            f.writelines(" network %s/32\n" % p for p in prefixes(a.n))
        elif a.format == "exabgp":
            f.writelines("    route %s/32 next-hop self;\n" % p for p in prefixes(a.n))
        else:
            ps = ["%s/32" % p for p in prefixes(a.n)]
            for i in range(0, len(ps), API_BATCH):
                f.write("announce attributes next-hop self nlri %s\n" % " ".join(ps[i:i + API_BATCH]))


if __name__ == "__main__":
    main()
