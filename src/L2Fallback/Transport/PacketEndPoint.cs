using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace BgpLb.L2Fallback.Transport;

/// <summary>
/// struct sockaddr_ll (linux/if_packet.h), 20 octets: family (2), protocol (2, network order),
/// ifindex (4, host order), hatype (2), pkttype (1), halen (1), addr (8).
/// </summary>
internal sealed class PacketEndPoint(int interfaceIndex, EtherType protocol) : EndPoint
{
    public const int Size = 20;
    private const int ProtocolOffset = 2;
    private const int InterfaceIndexOffset = 4;
    private const int PacketTypeOffset = 10;

    public override AddressFamily AddressFamily => AddressFamily.Packet;

    public int InterfaceIndex { get; } = interfaceIndex;

    public EtherType Protocol { get; } = protocol;

    public override SocketAddress Serialize()
    {
        var address = new SocketAddress(AddressFamily.Packet, Size);
        var bytes = address.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[ProtocolOffset..], (ushort)Protocol);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[InterfaceIndexOffset..], InterfaceIndex);
        return address;
    }

    public override EndPoint Create(SocketAddress socketAddress) => this;

    /// <summary>Receive calls want room for the largest address of the family (sockaddr_storage), not just sockaddr_ll.</summary>
    public static SocketAddress NewReceiveAddress() => new(AddressFamily.Packet, SocketAddress.GetMaximumAddressSize(AddressFamily.Packet));

    public static PacketType TypeOf(SocketAddress received) => (PacketType)received.Buffer.Span[PacketTypeOffset];
}
