using System.Buffers.Binary;
using System.Net;

namespace BgpLb.L2Fallback.Arp;

/// <summary>
/// RFC 826 packets for Ethernet (ar$hrd 1) and IPv4 (ar$pro 0x0800), after a 14-octet Ethernet header:
/// <code>
///  0      2      4   5   6      8                14           18                24           28
/// +------+------+---+---+------+----------------+------------+-----------------+------------+
/// | hrd  | pro  |hln|pln|  op  | sha (6)        | spa (4)    | tha (6)         | tpa (4)    |
/// +------+------+---+---+------+----------------+------------+-----------------+------------+
/// </code>
/// Decoding is total: any input gives a packet or an <see cref="ArpDecodeError"/>.
/// Octets after the 42nd (Ethernet padding to 60) are ignored.
/// </summary>
public static class ArpCodec
{
    public const int BodyLength = 28;
    public const int FrameLength = EthernetHeader.Length + BodyLength;

    private const ushort HardwareEthernet = 1;
    private const byte HardwareLength = MacAddress.Length;
    private const byte Ipv4Length = 4;
    private const int OperationOffset = 6;
    private const int SenderHardwareOffset = 8;
    private const int SenderProtocolOffset = 14;
    private const int TargetHardwareOffset = 18;
    private const int TargetProtocolOffset = 24;

    public static ArpDecodeError TryDecode(ReadOnlySpan<byte> frame, out ArpPacket packet)
    {
        packet = default;
        if (frame.Length < FrameLength)
        {
            return ArpDecodeError.Truncated;
        }
        if (EthernetHeader.Type(frame) != (ushort)EtherType.Arp)
        {
            return ArpDecodeError.NotArp;
        }
        var body = frame.Slice(EthernetHeader.Length, BodyLength);
        if (BinaryPrimitives.ReadUInt16BigEndian(body) != HardwareEthernet)
        {
            return ArpDecodeError.UnsupportedHardwareType;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(body[2..]) != (ushort)EtherType.Ipv4)
        {
            return ArpDecodeError.UnsupportedProtocolType;
        }
        if (body[4] != HardwareLength || body[5] != Ipv4Length)
        {
            return ArpDecodeError.UnsupportedAddressLength;
        }
        var operation = (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(body[OperationOffset..]);
        if (operation is not (ArpOperation.Request or ArpOperation.Reply))
        {
            return ArpDecodeError.UnknownOperation;
        }
        packet = new ArpPacket(
            EthernetHeader.Destination(frame),
            EthernetHeader.Source(frame),
            operation,
            MacAddress.Read(body[SenderHardwareOffset..]),
            new IPAddress(body.Slice(SenderProtocolOffset, Ipv4Length)),
            MacAddress.Read(body[TargetHardwareOffset..]),
            new IPAddress(body.Slice(TargetProtocolOffset, Ipv4Length)));
        return ArpDecodeError.None;
    }

    /// <summary>Writes the 42-octet frame; <paramref name="destination"/> must hold <see cref="FrameLength"/> octets.</summary>
    public static int Write(in ArpPacket packet, Span<byte> destination)
    {
        if (destination.Length < FrameLength)
        {
            throw new ArgumentException($"An ARP frame needs {FrameLength} octets, the buffer has {destination.Length}.", nameof(destination));
        }
        EthernetHeader.Write(destination, packet.EthernetDestination, packet.EthernetSource, EtherType.Arp);
        var body = destination.Slice(EthernetHeader.Length, BodyLength);
        BinaryPrimitives.WriteUInt16BigEndian(body, HardwareEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(body[2..], (ushort)EtherType.Ipv4);
        body[4] = HardwareLength;
        body[5] = Ipv4Length;
        BinaryPrimitives.WriteUInt16BigEndian(body[OperationOffset..], (ushort)packet.Operation);
        packet.SenderHardware.Write(body[SenderHardwareOffset..]);
        WriteIpv4(packet.SenderProtocol, body[SenderProtocolOffset..], nameof(packet.SenderProtocol));
        packet.TargetHardware.Write(body[TargetHardwareOffset..]);
        WriteIpv4(packet.TargetProtocol, body[TargetProtocolOffset..], nameof(packet.TargetProtocol));
        return FrameLength;
    }

    /// <summary>
    /// RFC 826 "Packet Reception": the reply swaps sender and target, fills in our hardware address
    /// as the sender's, and goes back to the requester's hardware address only.
    /// </summary>
    public static ArpPacket ReplyTo(in ArpPacket request, MacAddress ours) => new(
        request.SenderHardware,
        ours,
        ArpOperation.Reply,
        ours,
        request.TargetProtocol,
        request.SenderHardware,
        request.SenderProtocol);

    /// <summary>
    /// Gratuitous ARP, broadcast. Request form (RFC 5227 §3 announcement): sender and target
    /// protocol address are the VIP, target hardware address zero (§2.3: ignored, SHOULD be zero).
    /// Reply form (RFC 5944 §4.6 style, which some hosts only accept): target hardware broadcast.
    /// Linux updates an existing neighbour entry from either.
    /// </summary>
    public static ArpPacket Gratuitous(ArpOperation operation, MacAddress ours, IPAddress vip) => new(
        MacAddress.Broadcast,
        ours,
        operation,
        ours,
        vip,
        operation == ArpOperation.Request ? MacAddress.Zero : MacAddress.Broadcast,
        vip);

    private static void WriteIpv4(IPAddress address, Span<byte> destination, string field)
    {
        if (!address.TryWriteBytes(destination[..Ipv4Length], out var written) || written != Ipv4Length)
        {
            throw new ArgumentException($"ARP {field} must be an IPv4 address, not {address}.", nameof(address));
        }
    }
}
