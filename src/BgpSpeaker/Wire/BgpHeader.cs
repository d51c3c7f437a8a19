using System.Buffers.Binary;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// The fixed header of every BGP message (RFC 4271 §4.1):
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Marker (16)                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Length               |      Type     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public static class BgpHeader
{
    public const int MarkerLength = 16;
    public const int Length = 19;
    public const int LengthOffset = MarkerLength;
    public const int TypeOffset = MarkerLength + 2;

    /// <summary>RFC 4271 §4.1.</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>RFC 8654 §3.</summary>
    public const int ExtendedMaxMessageLength = 65535;

    /// <summary>Smallest legal length of each message type (RFC 4271 §4.2–§4.5, RFC 2918 §3).</summary>
    internal static int MinLength(BgpMessageType type) => type switch
    {
        BgpMessageType.Open => Length + 10,
        BgpMessageType.Update => Length + 4,
        BgpMessageType.Notification => Length + 2,
        BgpMessageType.Keepalive => Length,
        BgpMessageType.RouteRefresh => Length + 4,
        _ => Length,
    };

    /// <summary>Writes marker, length and type into <paramref name="destination"/>.</summary>
    internal static void Write(Span<byte> destination, int messageLength, BgpMessageType type)
    {
        destination[..MarkerLength].Fill(0xFF);
        BinaryPrimitives.WriteUInt16BigEndian(destination[LengthOffset..], (ushort)messageLength);
        destination[TypeOffset] = (byte)type;
    }

    /// <summary>Back-patches the length field once the body is written.</summary>
    internal static void PatchLength(Span<byte> message, int messageLength) =>
        BinaryPrimitives.WriteUInt16BigEndian(message[LengthOffset..], (ushort)messageLength);
}
