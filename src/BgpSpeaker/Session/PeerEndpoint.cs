using System.Net;
using System.Net.Sockets;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>Where a peer is and which of our addresses face it.</summary>
public sealed record PeerEndpoint(IPEndPoint Remote)
{
    /// <summary>The IANA port for BGP (RFC 4271 §8.2.1).</summary>
    public const int BgpPort = 179;

    /// <summary>Source address to bind before connecting (MetalLB's <c>sourceAddress</c>); null: the kernel picks.</summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>
    /// IPv4 next hop for IPv4 VIPs when the session runs over IPv6 (RFC 4271 NEXT_HOP is IPv4 only;
    /// RFC 8950 IPv6 next hops for IPv4 routes are not implemented). Null over IPv6: IPv4 VIPs are
    /// not announced to this peer.
    /// </summary>
    public IPAddress? NextHopV4 { get; init; }

    /// <summary>Global IPv6 next hop for IPv6 VIPs when the session runs over IPv4 (or a different one is wanted).</summary>
    public IPAddress? NextHopV6 { get; init; }

    /// <summary>Link-local IPv6 next hop, sent when the peer shares the link (RFC 2545 §3).</summary>
    public IPAddress? LinkLocalV6 { get; init; }

    /// <summary>TCP MD5 signature key (RFC 2385), or null for none. At most 80 octets (Linux).</summary>
    public string? Password { get; init; }

    /// <summary>
    /// Creates the TCP socket; null: an ordinary socket in this process's network namespace. Set it
    /// to open the session from another network namespace or VRF (the socket belongs to the
    /// namespace of the thread that creates it).
    /// </summary>
    public Func<AddressFamily, Socket>? SocketFactory { get; init; }

    /// <summary>
    /// eBGP multihop: the TTL (IPv6: hop limit) our packets leave with, 1 to 255; MetalLB's
    /// <c>ebgpMultiHop: true</c> is 255. Null: single hop, TTL 1 (iBGP: the kernel default).
    /// </summary>
    public byte? EbgpMultiHop { get; init; }

    /// <summary>
    /// GTSM (RFC 5082): the peer is at most this many hops away (1: directly connected). We send
    /// TTL 255 and the kernel drops segments from the peer arriving with a TTL below 256 − hops.
    /// The peer must do the same (FRR <c>ttl-security hops</c>, BIRD <c>ttl security</c>).
    /// </summary>
    public byte? GtsmHops { get; init; }

    /// <summary>
    /// Bytes written for this peer and not yet taken by the kernel beyond which no more UPDATEs are
    /// built (the Adj-RIB-Out keeps its changes until the peer has read). At least one maximum
    /// size message (65,535).
    /// </summary>
    public int OutputBudget { get; init; } = 1 << 20;

    /// <summary>
    /// A peer whose output written this long ago is still unsent cannot keep up: the connection
    /// is dropped with that error. Null: the negotiated Hold Time (before that the configured one), or 90 s if it is 0.
    /// </summary>
    public TimeSpan? StallTimeout { get; init; }

    /// <summary>How long a TCP connect may take before it counts as failed.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
