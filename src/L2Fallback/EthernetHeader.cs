using System.Buffers.Binary;

namespace BgpLb.L2Fallback;

/// <summary>
/// The Ethernet II header in front of every frame an <c>AF_PACKET</c>/<c>SOCK_RAW</c> socket carries:
/// destination (6), source (6), EtherType (2). No 802.1Q tag: a packet socket bound to a VLAN
/// interface sees frames with the tag already removed.
/// </summary>
internal static class EthernetHeader
{
    public const int Length = 14;
    private const int SourceOffset = 6;
    private const int EtherTypeOffset = 12;

    public static void Write(Span<byte> frame, MacAddress destination, MacAddress source, EtherType type)
    {
        destination.Write(frame);
        source.Write(frame[SourceOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[EtherTypeOffset..], (ushort)type);
    }

    public static MacAddress Destination(ReadOnlySpan<byte> frame) => MacAddress.Read(frame);

    public static MacAddress Source(ReadOnlySpan<byte> frame) => MacAddress.Read(frame[SourceOffset..]);

    public static ushort Type(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt16BigEndian(frame[EtherTypeOffset..]);
}
