using System.Net;

namespace BgpLb.BfdSession;

/// <summary>
/// What identifies a session (RFC 5881 §3: one per peer, local address and interface; RFC 5883
/// for multi-hop): the facade keeps one session, with one discriminator, per distinct value.
/// </summary>
public sealed record BfdPeer(IPAddress Address, IPAddress LocalAddress)
{
    /// <summary>Single-hop only: the interface the peer is on (SO_BINDTODEVICE; required for an IPv6 link-local peer).</summary>
    public string? Interface { get; init; }

    /// <summary>RFC 5883 (UDP 4784, TTL checked against <see cref="BfdProfile.MinimumTtl"/>) instead of RFC 5881 (UDP 3784, TTL 255).</summary>
    public bool Multihop { get; init; }

    public override string ToString() =>
        $"{Address} from {LocalAddress}{(Interface is null ? "" : $"%{Interface}")}{(Multihop ? " multihop" : "")}";
}
