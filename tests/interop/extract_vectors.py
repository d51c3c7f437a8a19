#!/usr/bin/python3
"""extract_vectors.py - BGP message vectors from a tcpdump capture (used by capture-vectors.sh).

Reassembles each TCP stream direction of the capture (tshark fields, ordered by the raw TCP
sequence number, duplicates/retransmissions dropped), splits it into BGP messages by the
header length field, classifies the messages sent by the speaker and writes one .hex file per
interesting message plus session.txt (every message of the session, both directions).

The decoded description in each file header comes from tshark: the speaker's messages are
re-played into a synthetic capture with exactly one BGP message per TCP segment, in their
original order (so the dissector sees the same sequence of messages, without any reassembly
ambiguity), and dissected with `tshark -T pdml`; the BGP tree is printed like `tshark -V`,
condensed: the bit lines under path-attribute Flags and expert-info items are left out and
trailing blanks stripped; capabilities and path attributes get an extra `value:` line with
their raw value bytes (after code/type, flags and length).
"""
import argparse
import datetime
import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

MSG_TYPES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
PEER_NAMES = {"bird": "BIRD", "frr": "FRR bgpd", "gobgp": "GoBGP gobgpd", "exabgp": "ExaBGP"}


def tshark(*args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True, text=True).stdout


# ------------------------------------------------------------------ reassembly
def streams(pcap):
    """{(stream, src_ip, src_port, dst_ip, dst_port): [(first_frame_time, bytes)]}"""
    out = tshark("-r", pcap, "-Y", "tcp.len > 0", "-T", "fields", "-E", "separator=/t",
                 "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
                 "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.payload",
                 "-e", "frame.time_relative")
    segs = {}
    for line in out.splitlines():
        st, src, sport, dst, dport, seq, payload, t = line.split("\t")
        key = (int(st), src, int(sport), dst, int(dport))
        segs.setdefault(key, []).append((int(seq), bytes.fromhex(payload.replace(":", "")), float(t)))
    res = {}
    for key, lst in segs.items():
        base = lst[0][0]
        data = bytearray()
        times = []  # (offset, time) for each segment that added new bytes
        for seq, payload, t in sorted(lst, key=lambda x: ((x[0] - base) % 2**32, x[2])):
            off = (seq - base) % 2**32
            if off > len(data):
                raise SystemExit("gap in TCP stream %s at offset %d (capture lost packets)" % (key, len(data)))
            new = payload[len(data) - off:]
            if new:
                times.append((len(data), t))
                data += new
        res[key] = (bytes(data), times)
    return res


def split_messages(data, times):
    msgs, off = [], 0
    while off < len(data):
        if len(data) - off < 19:
            raise SystemExit("truncated BGP header at offset %d" % off)
        if data[off:off + 16] != b"\xff" * 16:
            raise SystemExit("bad BGP marker at offset %d" % off)
        ln = struct.unpack("!H", data[off + 16:off + 18])[0]
        if ln < 19 or ln > 65535 or off + ln > len(data):
            raise SystemExit("bad/truncated BGP message length %d at offset %d" % (ln, off))
        # time of the segment that completed this message
        end = off + ln - 1
        t = max(tt for o, tt in times if o <= end)
        msgs.append((t, data[off:off + ln]))
        off += ln
    return msgs


# ------------------------------------------------------------------ classification
def prefixes(buf, afi):
    res, i = [], 0
    alen = 4 if afi == 1 else 16
    while i < len(buf):
        plen = buf[i]
        nb = (plen + 7) // 8
        raw = buf[i + 1:i + 1 + nb] + b"\0" * (alen - nb)
        if afi == 1:
            addr = ".".join(str(b) for b in raw)
        else:
            import ipaddress
            addr = str(ipaddress.IPv6Address(raw))
        res.append("%s/%d" % (addr, plen))
        i += 1 + nb
    return res


def parse_update(m):
    body = m[19:]
    wl = struct.unpack("!H", body[:2])[0]
    withdrawn = body[2:2 + wl]
    al = struct.unpack("!H", body[2 + wl:4 + wl])[0]
    attrs_raw = body[4 + wl:4 + wl + al]
    nlri = body[4 + wl + al:]
    attrs, i = [], 0
    while i < len(attrs_raw):
        flags, typ = attrs_raw[i], attrs_raw[i + 1]
        if flags & 0x10:
            ln = struct.unpack("!H", attrs_raw[i + 2:i + 4])[0]
            hl = 4
        else:
            ln = attrs_raw[i + 2]
            hl = 3
        attrs.append((typ, flags, attrs_raw[i + hl:i + hl + ln]))
        i += hl + ln
    return withdrawn, attrs, nlri


def classify(m):
    """-> (base file name, short description)"""
    typ = m[18]
    if typ == 1:
        return "open", "OPEN"
    if typ == 3:
        return "notification", "NOTIFICATION code %d subcode %d" % (m[19], m[20])
    if typ == 4:
        return "keepalive", "KEEPALIVE"
    if typ == 5:
        afi, sub, safi = struct.unpack("!HBB", m[19:23])
        fam = {1: "ipv4", 2: "ipv6"}.get(afi, "afi%d" % afi)
        kind = {0: "route-refresh", 1: "route-refresh-borr", 2: "route-refresh-eorr"}.get(sub, "route-refresh-sub%d" % sub)
        return ("%s-%s" % (kind, fam) if afi != 1 else kind), "ROUTE-REFRESH subtype %d AFI %d SAFI %d" % (sub, afi, safi)
    if typ != 2:
        return "type%d" % typ, "type %d" % typ
    withdrawn, attrs, nlri = parse_update(m)
    types = [a[0] for a in attrs]
    if not withdrawn and not attrs and not nlri:
        return "end-of-rib-ipv4", "UPDATE End-of-RIB IPv4 unicast"
    mp_reach = [a for a in attrs if a[0] == 14]
    mp_unreach = [a for a in attrs if a[0] == 15]
    if mp_unreach and types == [15] and len(mp_unreach[0][2]) == 3 and not withdrawn and not nlri:
        afi = struct.unpack("!H", mp_unreach[0][2][:2])[0]
        return "end-of-rib-%s" % {1: "ipv4", 2: "ipv6"}.get(afi, "afi%d" % afi), "UPDATE End-of-RIB (MP_UNREACH_NLRI, AFI %d)" % afi
    parts = []
    if nlri:
        parts.append("ipv4")
    if mp_reach:
        afi = struct.unpack("!H", mp_reach[0][2][:2])[0]
        parts.append({1: "ipv4mp", 2: "ipv6"}.get(afi, "afi%d" % afi))
    if withdrawn:
        parts.append("withdraw-ipv4")
    if mp_unreach:
        afi = struct.unpack("!H", mp_unreach[0][2][:2])[0]
        parts.append("withdraw-" + {1: "ipv4mp", 2: "ipv6"}.get(afi, "afi%d" % afi))
    if not parts:
        parts.append("attrs-only")
    desc = []
    if nlri:
        desc.append("NLRI " + " ".join(prefixes(nlri, 1)))
    if mp_reach:
        a = mp_reach[0][2]
        afi = struct.unpack("!H", a[:2])[0]
        nhl = a[3]
        desc.append("MP_REACH_NLRI AFI %d next hop length %d NLRI %s" % (afi, nhl, " ".join(prefixes(a[5 + nhl:], afi))))
    if withdrawn:
        desc.append("withdrawn " + " ".join(prefixes(withdrawn, 1)))
    if mp_unreach:
        a = mp_unreach[0][2]
        afi = struct.unpack("!H", a[:2])[0]
        desc.append("MP_UNREACH_NLRI AFI %d withdrawn %s" % (afi, " ".join(prefixes(a[3:], afi))))
    return "update-" + "-".join(parts), "UPDATE " + "; ".join(desc)


# ------------------------------------------------------------------ tshark decoding
def synthetic_pcap(path, msgs, src, dst):
    """one Ethernet/IPv4/TCP segment per message, continuous sequence numbers, port 179"""
    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        return ~s & 0xffff
    sip = bytes(int(x) for x in src.split("."))
    dip = bytes(int(x) for x in dst.split("."))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        seq = 1000
        for i, m in enumerate(msgs):
            tcp = struct.pack("!HHIIBBHHH", 40000, 179, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
            pseudo = sip + dip + struct.pack("!BBH", 0, 6, len(tcp) + len(m))
            tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + m)) + tcp[18:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(m), i + 1, 0x4000, 64, 6, 0, sip, dip)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
            frame = eth + ip + tcp + m
            f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)))
            f.write(frame)
            seq += len(m)


def bitline(showname):
    # "0... .... = Optional: Not set"
    head = showname.split(" = ", 1)[0]
    return " = " in showname and head and set(head) <= set("01. ")


def render(field, frame, depth, out, skip_children=False):
    name = field.get("name", "")
    if name.startswith("_ws.expert") or field.get("hide") == "yes":
        return
    text = field.get("showname") or field.get("show") or ""
    text = text.rstrip()
    if text:
        out.append("  " * depth + text)
    if name == "bgp.update.path_attribute.flags":
        return
    valline = None
    if name in ("bgp.cap", "bgp.update.path_attribute"):
        pos, size = int(field.get("pos")), int(field.get("size"))
        raw = frame[pos:pos + size]
        if name == "bgp.cap":
            val = raw[2:]
        else:
            val = raw[4:] if raw[0] & 0x10 else raw[3:]
        valline = "  " * (depth + 1) + "value: " + (val.hex() if val else "(empty)")
    for child in field:
        if child.tag == "field":
            render(child, frame, depth + 1, out)
            # the raw value goes right after the capability / attribute Length line
            if valline and child.get("name") in ("bgp.cap.length", "bgp.update.path_attribute.length"):
                out.append(valline)
                valline = None
    if valline:
        out.append(valline)


def decode(msgs, src, dst):
    with tempfile.TemporaryDirectory() as td:
        pc = os.path.join(td, "syn.pcap")
        synthetic_pcap(pc, msgs, src, dst)
        xml = tshark("-r", pc, "-T", "pdml", "-o", "tcp.desegment_tcp_streams:TRUE")
    root = ET.fromstring(xml)
    res = []
    for pkt, m in zip(root.findall("packet"), msgs):
        frame = 14 + 20 + 20
        framebytes = b"\0" * frame + m
        protos = [p for p in pkt.findall("proto") if p.get("name") == "bgp"]
        if len(protos) != 1:
            raise SystemExit("tshark saw %d BGP PDUs in one synthetic frame" % len(protos))
        out = []
        render(protos[0], framebytes, 0, out)
        # sanity: tshark's length equals ours
        ln = [f for f in protos[0].iter("field") if f.get("name") == "bgp.length"][0].get("show")
        if int(ln) != len(m):
            raise SystemExit("tshark length %s != %d" % (ln, len(m)))
        res.append(out)
    if len(res) != len(msgs):
        raise SystemExit("tshark decoded %d of %d messages" % (len(res), len(msgs)))
    return res


# ------------------------------------------------------------------ output
def hexlines(m):
    return [" ".join("%02x" % b for b in m[i:i + 16]) for i in range(0, len(m), 16)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--package", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--speaker", required=True, help="speaker IPv4 address")
    ap.add_argument("--speaker-as", default="4200000001")
    ap.add_argument("--receiver-desc", default="BIRD 2 receiver, AS 64512")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    st = streams(a.pcap)
    conns = sorted({k[0] for k in st})
    per_dir = {}
    for key, (data, times) in st.items():
        per_dir[key] = split_messages(data, times)
    spk_keys = [k for k in st if k[1] == a.speaker]
    if not spk_keys:
        raise SystemExit("no BGP data from the speaker %s in %s" % (a.speaker, a.pcap))
    # speaker messages of all connections, connection by connection
    spk_msgs = []
    for k in sorted(spk_keys):
        spk_msgs += [(k, t, m, i) for i, (t, m) in enumerate(per_dir[k])]
    rcv = [k for k in spk_keys][0]
    src, dst = rcv[1], rcv[3]
    decoded = decode([m for _, _, m, _ in spk_msgs], src, dst)
    tver = tshark("--version").splitlines()[0]
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    peer_name = PEER_NAMES.get(a.peer, a.peer)

    os.makedirs(a.out, exist_ok=True)
    written, seen_bytes, counts = {}, set(), {}
    names = {}
    for idx, ((k, t, m, i), dec) in enumerate(zip(spk_msgs, decoded), 1):
        base, desc = classify(m)
        if m in seen_bytes:
            names[(k, i)] = (None, base, desc)
            continue
        seen_bytes.add(m)
        counts[base] = counts.get(base, 0) + 1
        fname = base + ".hex" if counts[base] == 1 else "%s-%d.hex" % (base, counts[base])
        # keep only the first KEEPALIVE / OPEN / NOTIFICATION of a kind (they repeat identically
        # anyway); every distinct UPDATE and ROUTE-REFRESH is kept
        if base in ("keepalive", "open", "notification") and counts[base] > 1:
            names[(k, i)] = (None, base, desc)
            continue
        names[(k, i)] = (fname, base, desc)
        hdr = [
            "# BGP %s message vector: %s" % (MSG_TYPES.get(m[18], "type %d" % m[18]), desc),
            "# source: %s speaker, Debian package %s %s, captured %s (UTC)" % (peer_name, a.package, a.version, today),
            "# direction: %s:%d (%s, AS %s) -> %s:%d (%s); TCP connection %d, message %d of %d sent by the speaker, t=%.3fs"
            % (k[1], k[2], a.peer, a.speaker_as, k[3], k[4], a.receiver_desc, conns.index(k[0]) + 1, idx, len(spk_msgs), t),
            "# captured with tcpdump by tests/interop/capture-vectors.sh",
            "# length: %d bytes (header length field: %d)" % (len(m), struct.unpack("!H", m[16:18])[0]),
            "# decoded by %s (tshark -V tree, condensed: no flag bit lines, no expert info;" % tver.split(" (Git")[0],
            "#   'value:' = raw value bytes of a capability / path attribute after its type, flags and length):",
        ]
        hdr += ["#   " + line for line in dec]
        with open(os.path.join(a.out, fname), "w") as f:
            f.write("\n".join(hdr + hexlines(m)) + "\n")
        written[fname] = len(m)

    # session.txt: every message of the capture, both directions
    rows = []
    for key, msgs in per_dir.items():
        for i, (t, m) in enumerate(msgs):
            rows.append((t, key, m, i))
    rows.sort(key=lambda r: (r[0], r[1][0], r[3]))
    lines = ["# every BGP message of the %s capture (tcpdump, tests/interop/capture-vectors.sh), %s (UTC)" % (a.peer, today),
             "# speaker: %s, Debian package %s %s, %s AS %s; receiver: %s" % (peer_name, a.package, a.version, a.speaker, a.speaker_as, a.receiver_desc),
             "# time_s  direction  type  length  file (speaker messages only; '=' same bytes as an earlier file or not kept)  description"]
    for t, key, m, i in rows:
        if key[1] == a.speaker:
            fname, base, desc = names[(key, i)]
            d = "spk->rcv"
        else:
            fname, (base, desc) = None, classify(m)
            d = "rcv->spk"
        lines.append("%8.3f  %s  %-13s %5d  %-28s %s" % (t, d, MSG_TYPES.get(m[18], "?"), len(m),
                                                       (fname or "=") if d == "spk->rcv" else "-", desc))
    with open(os.path.join(a.out, "session.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for fn, ln in sorted(written.items()):
        print("%s/%s %d bytes" % (a.out, fn, ln))


if __name__ == "__main__":
    main()
