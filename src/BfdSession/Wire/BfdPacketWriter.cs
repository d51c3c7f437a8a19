using System.Buffers.Binary;

namespace BgpLb.BfdSession.Wire;

/// <summary>
/// Encodes a <see cref="BfdControlPacket"/> (RFC 5880 §4.1), signing it with the session's key
/// (§6.7) when the packet carries an authentication section. Writes into the caller's span,
/// allocates nothing.
/// </summary>
public static class BfdPacketWriter
{
    /// <summary>The number of octets <paramref name="packet"/> takes: 24, plus its Auth Len with the A bit.</summary>
    public static int Measure(in BfdControlPacket packet) =>
        BfdControlPacket.MandatoryLength + (packet.AuthenticationPresent ? packet.Auth.Length : 0);

    /// <summary>
    /// Writes <paramref name="packet"/>; the Length field is computed (<see cref="Measure"/>), the
    /// packet's own is not used. With the A bit, <paramref name="key"/> must be the key the
    /// section names (type, key ID, length); the password or digest comes from it.
    /// False when <paramref name="destination"/> is too small.
    /// </summary>
    public static bool TryWrite(in BfdControlPacket packet, BfdAuthKey? key, Span<byte> destination, out int written)
    {
        written = 0;
        if (packet.AuthenticationPresent)
        {
            if (key is null || key.Type != packet.Auth.Type || key.KeyId != packet.Auth.KeyId || key.SectionLength != packet.Auth.Length)
            {
                throw new ArgumentException($"The packet's authentication section ({packet.Auth}) is not the one key {key} writes.", nameof(key));
            }
        }
        var length = Measure(packet);
        if (destination.Length < length)
        {
            return false;
        }
        var dst = destination[..length];
        dst[0] = BfdPacketReader.VersionOctet(packet);
        dst[1] = BfdPacketReader.FlagsOctet(packet);
        dst[2] = packet.DetectMultiplier;
        dst[3] = (byte)length;
        BinaryPrimitives.WriteUInt32BigEndian(dst[4..], packet.MyDiscriminator);
        BinaryPrimitives.WriteUInt32BigEndian(dst[8..], packet.YourDiscriminator);
        BinaryPrimitives.WriteUInt32BigEndian(dst[12..], packet.DesiredMinTxInterval);
        BinaryPrimitives.WriteUInt32BigEndian(dst[16..], packet.RequiredMinRxInterval);
        BinaryPrimitives.WriteUInt32BigEndian(dst[20..], packet.RequiredMinEchoRxInterval);
        if (packet.AuthenticationPresent)
        {
            BfdAuthenticator.Sign(dst, packet.Auth, key!);
        }
        written = length;
        return true;
    }
}
