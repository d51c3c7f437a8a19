namespace BgpLb.BfdSession.Wire;

/// <summary>
/// A session's authentication (RFC 5880 §6.7): the type, the key ID sent and required in Auth Key
/// ID, and the secret (the password for simple password; the key for MD5 / SHA1). Validated at
/// construction: a simple password is 1–16 octets (§4.2), an MD5 key at most 16 (§4.3), a SHA1 key
/// at most 20 (§4.4), none of them empty.
/// </summary>
public sealed record BfdAuthKey
{
    public BfdAuthKey(BfdAuthType type, byte keyId, ReadOnlySpan<byte> secret)
    {
        var max = type switch
        {
            BfdAuthType.SimplePassword => BfdAuthSection.MaxPasswordLength,
            BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5 => BfdAuthSection.Md5DigestLength,
            BfdAuthType.KeyedSha1 or BfdAuthType.MeticulousKeyedSha1 => BfdAuthSection.Sha1DigestLength,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "BFD authentication type must be simple password, keyed or meticulous keyed MD5 or SHA1 (RFC 5880 §4.1)."),
        };
        if (secret.IsEmpty || secret.Length > max)
        {
            throw new ArgumentOutOfRangeException(nameof(secret), secret.Length, $"A {type} secret is 1 to {max} octets (RFC 5880 §4.2-§4.4).");
        }
        Type = type;
        KeyId = keyId;
        _secret = secret.ToArray();
    }

    private readonly byte[] _secret;

    public BfdAuthType Type { get; }

    public byte KeyId { get; }

    public ReadOnlySpan<byte> Secret => _secret;

    /// <summary>Auth Len of the sections this key writes.</summary>
    public byte SectionLength => (byte)(Type == BfdAuthType.SimplePassword
        ? BfdAuthSection.PasswordHeaderLength + _secret.Length
        : BfdAuthSection.KeyedLength(Type));

    /// <summary>The section header for a packet sent with <paramref name="sequenceNumber"/> (ignored for a password).</summary>
    public BfdAuthSection Section(uint sequenceNumber) =>
        new(Type, SectionLength, KeyId, Type == BfdAuthType.SimplePassword ? 0 : sequenceNumber);

    public bool Equals(BfdAuthKey? other) =>
        other is not null && Type == other.Type && KeyId == other.KeyId && Secret.SequenceEqual(other.Secret);

    public override int GetHashCode() => HashCode.Combine(Type, KeyId, _secret.Length);

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"{Type} key {KeyId}";
}
