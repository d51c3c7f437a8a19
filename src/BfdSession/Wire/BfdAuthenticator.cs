using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace BgpLb.BfdSession.Wire;

/// <summary>
/// Writes and checks the password or digest of the authentication section (RFC 5880 §6.7.2–§6.7.4).
/// Stateless: the sequence-number window of §6.7.3 is session state and lives in the FSM.
/// </summary>
[SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "RFC 5880 §6.7.3 defines keyed MD5; interoperability requires it.")]
[SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "RFC 5880 §6.7.4 defines keyed SHA1; interoperability requires it.")]
public static class BfdAuthenticator
{
    /// <summary>Offset of the section in the packet.</summary>
    private const int Section = BfdControlPacket.MandatoryLength;

    /// <summary>
    /// Fills the section of <paramref name="packet"/> (the whole packet, Length octets, mandatory
    /// part already written): Type, Len, Key ID, then the password, or Reserved, Sequence Number
    /// and the digest computed over the packet with the key in the digest field (§6.7.3, §6.7.4).
    /// </summary>
    public static void Sign(Span<byte> packet, in BfdAuthSection section, BfdAuthKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var s = packet[Section..];
        s[0] = (byte)section.Type;
        s[1] = section.Length;
        s[2] = section.KeyId;
        if (section.Type == BfdAuthType.SimplePassword)
        {
            key.Secret.CopyTo(s[BfdAuthSection.PasswordHeaderLength..]);
            return;
        }
        s[3] = 0; // Reserved: "MUST be set to zero on transmit"
        BinaryPrimitives.WriteUInt32BigEndian(s[BfdAuthSection.SequenceOffset..], section.SequenceNumber);
        var digest = s[BfdAuthSection.DigestOffset..section.Length];
        // "The Auth Key/Digest field is set to the secret key, padded with zeros if needed."
        digest.Clear();
        key.Secret.CopyTo(digest);
        Span<byte> hash = stackalloc byte[BfdAuthSection.Sha1DigestLength];
        var n = Hash(section.Type, packet, hash);
        hash[..n].CopyTo(digest);
    }

    /// <summary>
    /// Checks the password or digest of a received packet (<paramref name="packet"/>: its Length
    /// octets) against <paramref name="key"/>: type, key ID, then the secret (§6.7.2) or the digest
    /// recomputed with the key in place of the received one (§6.7.3, §6.7.4), compared in fixed time.
    /// </summary>
    public static BfdDropReason Verify(ReadOnlySpan<byte> packet, in BfdAuthSection section, BfdAuthKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (section.Type != key.Type)
        {
            return BfdDropReason.AuthTypeMismatch;
        }
        if (section.KeyId != key.KeyId)
        {
            return BfdDropReason.AuthKeyIdMismatch;
        }
        if (packet.Length < Section + section.Length || section.Length < BfdAuthSection.PasswordHeaderLength)
        {
            return BfdDropReason.MalformedAuthSection;
        }
        var s = packet[Section..];
        if (section.Type == BfdAuthType.SimplePassword)
        {
            // "the Auth Len field MUST be equal to the length of the password plus three" and the password MUST match.
            return section.Length == key.SectionLength &&
                CryptographicOperations.FixedTimeEquals(s[BfdAuthSection.PasswordHeaderLength..section.Length], key.Secret)
                ? BfdDropReason.None
                : BfdDropReason.AuthenticationFailed;
        }
        if (packet.Length > byte.MaxValue || section.Length != BfdAuthSection.KeyedLength(section.Type))
        {
            return BfdDropReason.MalformedAuthSection;
        }
        Span<byte> copy = stackalloc byte[packet.Length];
        packet.CopyTo(copy);
        var digest = copy[(Section + BfdAuthSection.DigestOffset)..(Section + section.Length)];
        digest.Clear();
        key.Secret.CopyTo(digest);
        Span<byte> hash = stackalloc byte[BfdAuthSection.Sha1DigestLength];
        var n = Hash(section.Type, copy, hash);
        return CryptographicOperations.FixedTimeEquals(hash[..n], s[BfdAuthSection.DigestOffset..section.Length])
            ? BfdDropReason.None
            : BfdDropReason.AuthenticationFailed;
    }

    private static int Hash(BfdAuthType type, ReadOnlySpan<byte> packet, Span<byte> hash) => type switch
    {
        BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5 => MD5.HashData(packet, hash),
        _ => SHA1.HashData(packet, hash),
    };
}
