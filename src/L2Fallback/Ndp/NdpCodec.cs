using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace BgpLb.L2Fallback.Ndp;

/// <summary>
/// Neighbor Solicitation and Advertisement frames: Ethernet, the RFC 8200 §3 IPv6 header
/// (no extension headers), then the RFC 4861 message:
/// <code>
///  NS (§4.3)                                   NA (§4.4)
/// +------+------+-----------+                 +------+------+-----------+
/// | 135  |  0   | Checksum  |                 | 136  |  0   | Checksum  |
/// +------+------+-----------+                 +-+-+-+-------------------+
/// |        Reserved         |                 |R|S|O|     Reserved      |
/// +-------------------------+                 +-+-+-+-------------------+
/// |   Target Address (16)   |                 |   Target Address (16)   |
/// +-------------------------+                 +-------------------------+
/// | Options: type 1, len 1, | source LLA      | Options: type 2, len 1, | target LLA
/// | MAC (6)                 |                 | MAC (6)                 |
/// </code>
/// Decoding validates per §7.1.1 (NS) and §7.1.2 (NA) and is total: any input gives a packet or
/// an <see cref="NdpDecodeError"/>.
/// </summary>
public static class NdpCodec
{
    public const int Ipv6HeaderLength = 40;
    public const int MessageLength = 24;
    private const int LinkLayerOptionLength = 8;
    private const int OptionUnit = 8;
    private const byte IcmpV6NextHeader = 58;
    private const byte OnLinkHopLimit = 255;
    private const int Ipv6AddressLength = 16;
    private const int PayloadLengthOffset = 4;
    private const int NextHeaderOffset = 6;
    private const int HopLimitOffset = 7;
    private const int SourceOffset = 8;
    private const int DestinationOffset = 24;
    private const int ChecksumOffset = 2;
    private const int FlagsOffset = 4;
    private const int TargetOffset = 8;
    private const byte SourceLinkLayerOption = 1;
    private const byte TargetLinkLayerOption = 2;

    /// <summary>Frame length of an NS or NA with one link-layer address option: 86 octets.</summary>
    public const int FrameLengthWithLinkLayerOption = EthernetHeader.Length + Ipv6HeaderLength + MessageLength + LinkLayerOptionLength;

    public static NdpDecodeError TryDecode(ReadOnlySpan<byte> frame, out NdpPacket packet)
    {
        packet = default;
        if (frame.Length < EthernetHeader.Length + Ipv6HeaderLength)
        {
            return NdpDecodeError.Truncated;
        }
        if (EthernetHeader.Type(frame) != (ushort)EtherType.Ipv6)
        {
            return NdpDecodeError.NotIpv6;
        }
        var ip = frame[EthernetHeader.Length..];
        if (ip[0] >> 4 != 6)
        {
            return NdpDecodeError.BadIpVersion;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[PayloadLengthOffset..]);
        if (ip.Length < Ipv6HeaderLength + payloadLength)
        {
            return NdpDecodeError.Truncated;
        }
        if (ip[NextHeaderOffset] != IcmpV6NextHeader)
        {
            return NdpDecodeError.NotIcmpv6;
        }
        var icmp = ip.Slice(Ipv6HeaderLength, payloadLength);
        if (icmp.Length < 1 || icmp[0] is not ((byte)NdpMessageType.NeighborSolicitation or (byte)NdpMessageType.NeighborAdvertisement))
        {
            return NdpDecodeError.NotNeighborDiscovery;
        }
        var type = (NdpMessageType)icmp[0];
        if (ip[HopLimitOffset] != OnLinkHopLimit)
        {
            return NdpDecodeError.HopLimitNot255;
        }
        if (icmp.Length < MessageLength)
        {
            return NdpDecodeError.MessageTooShort;
        }
        var source = ip.Slice(SourceOffset, Ipv6AddressLength);
        var destination = ip.Slice(DestinationOffset, Ipv6AddressLength);
        if (Checksum(source, destination, icmp) != 0)
        {
            return NdpDecodeError.BadChecksum;
        }
        if (icmp[1] != 0)
        {
            return NdpDecodeError.NonZeroCode;
        }
        var target = icmp.Slice(TargetOffset, Ipv6AddressLength);
        if (target[0] == 0xff)
        {
            return NdpDecodeError.MulticastTarget;
        }
        MacAddress? linkLayer = null;
        var wanted = type == NdpMessageType.NeighborSolicitation ? SourceLinkLayerOption : TargetLinkLayerOption;
        var options = icmp[MessageLength..];
        while (options.Length > 0)
        {
            // §4.6: Length is in units of 8 octets and 0 is invalid; an option must fit in the message.
            if (options.Length < 2 || options[1] == 0 || options[1] * OptionUnit > options.Length)
            {
                return NdpDecodeError.BadOptionLength;
            }
            var length = options[1] * OptionUnit;
            // §4.6.1: the link-layer address follows type and length; for Ethernet it is 6 octets.
            if (options[0] == wanted && linkLayer is null)
            {
                linkLayer = MacAddress.Read(options[2..]);
            }
            options = options[length..];
        }
        var sourceAddress = new IPAddress(source);
        var destinationAddress = new IPAddress(destination);
        var flags = NeighborAdvertisementFlags.None;
        if (type == NdpMessageType.NeighborSolicitation)
        {
            if (sourceAddress.Equals(IPAddress.IPv6None))
            {
                if (!Ipv6Multicast.IsSolicitedNode(destinationAddress))
                {
                    return NdpDecodeError.UnspecifiedSourceNotToSolicitedNode;
                }
                if (linkLayer is not null)
                {
                    return NdpDecodeError.UnspecifiedSourceWithLinkLayerOption;
                }
            }
        }
        else
        {
            flags = (NeighborAdvertisementFlags)(icmp[FlagsOffset] & 0xE0);
            if (destination[0] == 0xff && flags.HasFlag(NeighborAdvertisementFlags.Solicited))
            {
                return NdpDecodeError.SolicitedToMulticast;
            }
        }
        packet = new NdpPacket(
            EthernetHeader.Destination(frame),
            EthernetHeader.Source(frame),
            sourceAddress,
            destinationAddress,
            ip[HopLimitOffset],
            type,
            flags,
            new IPAddress(target),
            linkLayer);
        return NdpDecodeError.None;
    }

    /// <summary>
    /// Writes the frame with the ICMPv6 checksum filled in; the link-layer address option is present
    /// when <see cref="NdpPacket.LinkLayerAddress"/> is set. Returns the frame length (78 or 86).
    /// </summary>
    public static int Write(in NdpPacket packet, Span<byte> destination)
    {
        var icmpLength = MessageLength + (packet.LinkLayerAddress is null ? 0 : LinkLayerOptionLength);
        var frameLength = EthernetHeader.Length + Ipv6HeaderLength + icmpLength;
        if (destination.Length < frameLength)
        {
            throw new ArgumentException($"This NDP frame needs {frameLength} octets, the buffer has {destination.Length}.", nameof(destination));
        }
        var frame = destination[..frameLength];
        frame.Clear();
        EthernetHeader.Write(frame, packet.EthernetDestination, packet.EthernetSource, EtherType.Ipv6);
        var ip = frame[EthernetHeader.Length..];
        ip[0] = 6 << 4; // version 6, traffic class 0, flow label 0
        BinaryPrimitives.WriteUInt16BigEndian(ip[PayloadLengthOffset..], (ushort)icmpLength);
        ip[NextHeaderOffset] = IcmpV6NextHeader;
        ip[HopLimitOffset] = packet.HopLimit;
        WriteIpv6(packet.Source, ip.Slice(SourceOffset, Ipv6AddressLength), nameof(packet.Source));
        WriteIpv6(packet.Destination, ip.Slice(DestinationOffset, Ipv6AddressLength), nameof(packet.Destination));
        var icmp = ip.Slice(Ipv6HeaderLength, icmpLength);
        icmp[0] = (byte)packet.Type;
        icmp[FlagsOffset] = (byte)packet.Flags;
        WriteIpv6(packet.Target, icmp.Slice(TargetOffset, Ipv6AddressLength), nameof(packet.Target));
        if (packet.LinkLayerAddress is { } mac)
        {
            icmp[MessageLength] = packet.Type == NdpMessageType.NeighborSolicitation ? SourceLinkLayerOption : TargetLinkLayerOption;
            icmp[MessageLength + 1] = LinkLayerOptionLength / OptionUnit;
            mac.Write(icmp[(MessageLength + 2)..]);
        }
        var checksum = Checksum(ip.Slice(SourceOffset, Ipv6AddressLength), ip.Slice(DestinationOffset, Ipv6AddressLength), icmp);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[ChecksumOffset..], checksum);
        return frameLength;
    }

    /// <summary>
    /// RFC 4861 §7.2.4: the answer to a solicitation for an address we own: to the solicitor with S and O set,
    /// or, when the NS came from the unspecified address (duplicate address detection), to all
    /// nodes with S clear. Source is the target itself; the target link-layer option carries our MAC.
    /// </summary>
    public static NdpPacket AdvertisementFor(in NdpPacket solicitation, MacAddress ours)
    {
        var fromUnspecified = solicitation.Source.Equals(IPAddress.IPv6None);
        var destination = fromUnspecified ? Ipv6Multicast.AllNodes : solicitation.Source;
        var ethernetDestination = fromUnspecified
            ? Ipv6Multicast.EthernetAddress(Ipv6Multicast.AllNodes)
            : solicitation.LinkLayerAddress ?? solicitation.EthernetSource;
        var flags = fromUnspecified
            ? NeighborAdvertisementFlags.Override
            : NeighborAdvertisementFlags.Solicited | NeighborAdvertisementFlags.Override;
        return new NdpPacket(ethernetDestination, ours, solicitation.Target, destination, OnLinkHopLimit,
            NdpMessageType.NeighborAdvertisement, flags, solicitation.Target, ours);
    }

    /// <summary>§7.2.6: an unsolicited NA with Override set to all nodes, so neighbours replace the cached address.</summary>
    public static NdpPacket UnsolicitedAdvertisement(MacAddress ours, IPAddress vip) => new(
        Ipv6Multicast.EthernetAddress(Ipv6Multicast.AllNodes),
        ours,
        vip,
        Ipv6Multicast.AllNodes,
        OnLinkHopLimit,
        NdpMessageType.NeighborAdvertisement,
        NeighborAdvertisementFlags.Override,
        vip,
        ours);

    /// <summary>
    /// RFC 4443 §2.3 one's-complement sum over the RFC 8200 §8.1 pseudo-header (source, destination,
    /// upper-layer length, next header 58) and the ICMPv6 message. Over a message whose checksum field
    /// is filled in, a correct one gives 0.
    /// </summary>
    internal static ushort Checksum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> icmp)
    {
        ulong sum = Sum(source) + Sum(destination) + (uint)icmp.Length + IcmpV6NextHeader + Sum(icmp);
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }
        return sum;
    }

    private static void WriteIpv6(IPAddress address, Span<byte> destination, string field)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || !address.TryWriteBytes(destination, out _))
        {
            throw new ArgumentException($"NDP {field} must be an IPv6 address, not {address}.", nameof(address));
        }
    }
}
