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
    /// IPv4 next hop for IPv4 VIPs when the session runs over IPv6 (or a different one is wanted);
    /// without it an IPv6 session has none and announces no IPv4 VIP (RFC 4271 §5.1.3: NEXT_HOP is
    /// an IPv4 address).
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

    /// <summary>How long a TCP connect may take before it counts as failed.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
