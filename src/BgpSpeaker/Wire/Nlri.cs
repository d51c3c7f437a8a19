namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// One NLRI entry: a prefix and, where ADD-PATH is negotiated for its family, the Path Identifier
/// (RFC 7911 §3). <see cref="PathId"/> is 0 when ADD-PATH is not in use.
/// </summary>
public readonly record struct Nlri(IpPrefix Prefix, uint PathId = 0) : INlriEntry
{
    public static implicit operator Nlri(IpPrefix prefix) => new(prefix);

    public override string ToString() => PathId == 0 ? Prefix.ToString() : $"{Prefix} path-id {PathId}";
}

/// <summary>
/// What the NLRI encoder needs of an entry: <see cref="Nlri"/> on the general path, and a bare
/// <see cref="IpPrefix"/> where the Adj-RIB-Out hands its sorted prefix arrays straight to the
/// packer (no per-route copy into an <see cref="Nlri"/>).
/// </summary>
internal interface INlriEntry
{
    IpPrefix Prefix { get; }

    uint PathId { get; }
}
