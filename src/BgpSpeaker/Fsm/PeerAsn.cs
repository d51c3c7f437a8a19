namespace BgpLb.BgpSpeaker.Fsm;

public enum PeerAsnKind : byte
{
    /// <summary>The peer must use exactly <see cref="PeerAsn.Asn"/>.</summary>
    Fixed,

    /// <summary>Any AS equal to ours (MetalLB's <c>dynamicASN: internal</c>).</summary>
    Internal,

    /// <summary>Any AS other than ours (MetalLB's <c>dynamicASN: external</c>).</summary>
    External,
}

/// <summary>Which AS the peer may open with.</summary>
public readonly record struct PeerAsn(PeerAsnKind Kind, uint Asn = 0)
{
    public static PeerAsn Of(uint asn) => new(PeerAsnKind.Fixed, asn);

    public static readonly PeerAsn Internal = new(PeerAsnKind.Internal);

    public static readonly PeerAsn External = new(PeerAsnKind.External);

    public bool Accepts(uint peerAsn, uint localAsn) => Kind switch
    {
        PeerAsnKind.Fixed => peerAsn == Asn,
        PeerAsnKind.Internal => peerAsn == localAsn,
        _ => peerAsn != localAsn,
    };

    public override string ToString() => Kind == PeerAsnKind.Fixed ? Asn.ToString(System.Globalization.CultureInfo.InvariantCulture) : Kind.ToString().ToLowerInvariant();
}
