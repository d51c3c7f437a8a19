namespace BgpLb.BfdSession.Wire;

/// <summary>
/// The fixed fields of the authentication section (RFC 5880 §4.2–§4.4). Simple password:
/// Type, Len (3 + 1..16), Key ID, Password. Keyed MD5 / SHA1 (plain and meticulous): Type, Len
/// (24 / 28), Key ID, Reserved (0), Sequence Number, then the 16- or 20-octet digest.
/// </summary>
public readonly record struct BfdAuthSection(BfdAuthType Type, byte Length, byte KeyId, uint SequenceNumber)
{
    /// <summary>§4.2: Auth Type, Auth Len and Auth Key ID precede the password.</summary>
    public const int PasswordHeaderLength = 3;
    public const int MinPasswordLength = 1;
    public const int MaxPasswordLength = 16;

    /// <summary>§4.3: Type, Len, Key ID, Reserved, Sequence Number (4), digest (16).</summary>
    public const int Md5Length = 24;
    public const int Md5DigestLength = 16;

    /// <summary>§4.4: as §4.3 with a 20-octet SHA1 hash.</summary>
    public const int Sha1Length = 28;
    public const int Sha1DigestLength = 20;

    /// <summary>Offset of the digest inside a keyed section (after Type, Len, Key ID, Reserved, Sequence Number).</summary>
    public const int DigestOffset = 8;

    /// <summary>Offset of the sequence number inside a keyed section.</summary>
    public const int SequenceOffset = 4;

    public bool IsKeyed => Type is BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5 or BfdAuthType.KeyedSha1 or BfdAuthType.MeticulousKeyedSha1;

    public bool IsMeticulous => Type is BfdAuthType.MeticulousKeyedMd5 or BfdAuthType.MeticulousKeyedSha1;

    /// <summary>The section length a keyed type requires; 0 for simple password or none.</summary>
    public static int KeyedLength(BfdAuthType type) => type switch
    {
        BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5 => Md5Length,
        BfdAuthType.KeyedSha1 or BfdAuthType.MeticulousKeyedSha1 => Sha1Length,
        _ => 0,
    };
}
