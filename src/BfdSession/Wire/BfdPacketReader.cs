using System.Buffers.Binary;

namespace BgpLb.BfdSession.Wire;

/// <summary>
/// Decodes one UDP payload into a <see cref="BfdControlPacket"/> with the checks of RFC 5880
/// §6.8.6 that need nothing but the packet (version, lengths, Detect Mult, M bit, My
/// Discriminator, the shape of the authentication section). Total: any input gives a packet or a
/// <see cref="BfdDropReason"/>, never an exception, and nothing is allocated.
/// </summary>
public static class BfdPacketReader
{
    /// <summary>Octets needed to read Version and Length.</summary>
    private const int HeaderPrefix = 4;

    private const byte VersionShift = 5;
    private const byte DiagnosticMask = 0x1F;
    private const byte StateShift = 6;
    private const byte PollBit = 0x20;
    private const byte FinalBit = 0x10;
    private const byte ControlPlaneIndependentBit = 0x08;
    private const byte AuthenticationBit = 0x04;
    private const byte DemandBit = 0x02;
    private const byte MultipointBit = 0x01;

    public static bool TryRead(ReadOnlySpan<byte> datagram, out BfdControlPacket packet, out BfdDropReason reason)
    {
        packet = default;
        reason = Check(datagram);
        if (reason != BfdDropReason.None)
        {
            return false;
        }
        var flags = datagram[1];
        var authenticated = (flags & AuthenticationBit) != 0;
        BfdAuthSection auth = default;
        if (authenticated)
        {
            reason = ReadAuthSection(datagram[BfdControlPacket.MandatoryLength..datagram[3]], out auth);
            if (reason != BfdDropReason.None)
            {
                return false;
            }
        }
        packet = new BfdControlPacket
        {
            Version = (byte)(datagram[0] >> VersionShift),
            Diagnostic = (BfdDiagnostic)(datagram[0] & DiagnosticMask),
            State = (BfdState)(flags >> StateShift),
            Poll = (flags & PollBit) != 0,
            Final = (flags & FinalBit) != 0,
            ControlPlaneIndependent = (flags & ControlPlaneIndependentBit) != 0,
            AuthenticationPresent = authenticated,
            Demand = (flags & DemandBit) != 0,
            Multipoint = (flags & MultipointBit) != 0,
            DetectMultiplier = datagram[2],
            Length = datagram[3],
            MyDiscriminator = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]),
            YourDiscriminator = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]),
            DesiredMinTxInterval = BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]),
            RequiredMinRxInterval = BinaryPrimitives.ReadUInt32BigEndian(datagram[16..]),
            RequiredMinEchoRxInterval = BinaryPrimitives.ReadUInt32BigEndian(datagram[20..]),
            Auth = auth,
        };
        return true;
    }

    // RFC 5880 §6.8.6, in the RFC's order.
    private static BfdDropReason Check(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < HeaderPrefix)
        {
            return BfdDropReason.Truncated;
        }
        // "If the version number is not correct (1), the packet MUST be discarded."
        if (datagram[0] >> VersionShift != BfdControlPacket.ProtocolVersion)
        {
            return BfdDropReason.UnsupportedVersion;
        }
        // "If the Length field is less than the minimum correct value (24 if the A bit is clear, or
        // 26 if the A bit is set), the packet MUST be discarded."
        var length = datagram[3];
        var minimum = (datagram[1] & AuthenticationBit) != 0 ? BfdControlPacket.MinimumAuthenticatedLength : BfdControlPacket.MandatoryLength;
        if (length < minimum)
        {
            return BfdDropReason.LengthTooSmall;
        }
        // "If the Length field is greater than the payload of the encapsulating protocol, the packet MUST be discarded."
        if (length > datagram.Length)
        {
            return BfdDropReason.LengthExceedsPayload;
        }
        // "If the Detect Mult field is zero, the packet MUST be discarded."
        if (datagram[2] == 0)
        {
            return BfdDropReason.ZeroDetectMultiplier;
        }
        // "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
        if ((datagram[1] & MultipointBit) != 0)
        {
            return BfdDropReason.MultipointSet;
        }
        // "If the My Discriminator field is zero, the packet MUST be discarded."
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == 0)
        {
            return BfdDropReason.ZeroMyDiscriminator;
        }
        return BfdDropReason.None;
    }

    // RFC 5880 §4.2–§4.4: the section must fit inside Length and have its type's exact size.
    private static BfdDropReason ReadAuthSection(ReadOnlySpan<byte> section, out BfdAuthSection auth)
    {
        auth = default;
        var type = (BfdAuthType)section[0];
        var length = section[1];
        if (length > section.Length)
        {
            return BfdDropReason.MalformedAuthSection;
        }
        switch (type)
        {
            case BfdAuthType.SimplePassword:
                if (length < BfdAuthSection.PasswordHeaderLength + BfdAuthSection.MinPasswordLength ||
                    length > BfdAuthSection.PasswordHeaderLength + BfdAuthSection.MaxPasswordLength)
                {
                    return BfdDropReason.MalformedAuthSection;
                }
                auth = new BfdAuthSection(type, length, section[2], 0);
                return BfdDropReason.None;
            case BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5 or BfdAuthType.KeyedSha1 or BfdAuthType.MeticulousKeyedSha1:
                if (length != BfdAuthSection.KeyedLength(type))
                {
                    return BfdDropReason.MalformedAuthSection;
                }
                auth = new BfdAuthSection(type, length, section[2], BinaryPrimitives.ReadUInt32BigEndian(section[BfdAuthSection.SequenceOffset..]));
                return BfdDropReason.None;
            default:
                return BfdDropReason.UnknownAuthType;
        }
    }

    internal static byte FlagsOctet(in BfdControlPacket packet) => (byte)(
        ((byte)packet.State << StateShift) |
        (packet.Poll ? PollBit : 0) |
        (packet.Final ? FinalBit : 0) |
        (packet.ControlPlaneIndependent ? ControlPlaneIndependentBit : 0) |
        (packet.AuthenticationPresent ? AuthenticationBit : 0) |
        (packet.Demand ? DemandBit : 0) |
        (packet.Multipoint ? MultipointBit : 0));

    internal static byte VersionOctet(in BfdControlPacket packet) => (byte)((packet.Version << VersionShift) | ((byte)packet.Diagnostic & DiagnosticMask));
}
