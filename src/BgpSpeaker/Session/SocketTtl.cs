using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>
/// The TTL (IPv6: hop limit) a peer's packets leave with, and the least one accepted from it.
/// eBGP single hop sends TTL 1, as FRR and BIRD do by default, so a session cannot be set up
/// through a router; eBGP multihop sends the configured TTL; GTSM (RFC 5082 §3) sends 255 and has
/// the kernel drop segments arriving with a TTL below 255 − (hops − 1) (Linux IP_MINTTL /
/// IPV6_MINHOPCOUNT). iBGP without GTSM keeps the kernel's default TTL.
/// </summary>
internal static class SocketTtl
{
    public const int MaxTtl = 255;

    // linux/in.h and linux/in6.h.
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int IpTtl = 2;
    private const int IpMinTtl = 21;
    private const int Ipv6UnicastHops = 16;
    private const int Ipv6MinHopCount = 73;

    /// <summary>Throws when the options contradict each other or the peer's kind (the config edge should have caught it).</summary>
    public static void Validate(PeerEndpoint endpoint, bool internalPeer)
    {
        if (endpoint.GtsmHops is { } hops && hops is < 1 or > 254)
        {
            throw new ArgumentException($"GtsmHops is {hops}; RFC 5082 needs 1 (directly connected) to 254.", nameof(endpoint));
        }
        if (endpoint.EbgpMultiHop is { } ttl && ttl < 1)
        {
            throw new ArgumentException("EbgpMultiHop is 0; the TTL must be 1 to 255.", nameof(endpoint));
        }
        if (endpoint.GtsmHops is not null && endpoint.EbgpMultiHop is not null)
        {
            throw new ArgumentException("EbgpMultiHop and GtsmHops are both set; GTSM already sends TTL 255: give the hop count as GtsmHops only.", nameof(endpoint));
        }
        if (endpoint.EbgpMultiHop is not null && internalPeer)
        {
            throw new ArgumentException("EbgpMultiHop is set on an internal (iBGP) peer; it applies to external peers only.", nameof(endpoint));
        }
    }

    /// <summary>(TTL to send, least TTL to accept); null where the kernel default stands.</summary>
    public static (int? Send, int? Minimum) For(PeerEndpoint endpoint, bool internalPeer) =>
        endpoint.GtsmHops is { } hops ? (MaxTtl, MaxTtl - (hops - 1))
        : endpoint.EbgpMultiHop is { } ttl ? (ttl, null)
        : internalPeer ? (null, null)
        : (1, null);

    /// <summary>
    /// Sets the options on a socket to or from <paramref name="remote"/>. An IPv4 peer on an
    /// IPv6 (dual-stack) socket travels as IPv4, so the IPv4 options apply to it.
    /// </summary>
    public static bool TryApply(Socket socket, IPAddress remote, PeerEndpoint endpoint, bool internalPeer, out string error)
    {
        var (send, minimum) = For(endpoint, internalPeer);
        var v4 = remote.AddressFamily == AddressFamily.InterNetwork || remote.IsIPv4MappedToIPv6;
        error = "";
        return (send is not { } ttl || TrySet(socket, v4 ? SolIp : SolIpv6, v4 ? IpTtl : Ipv6UnicastHops, v4 ? "IP_TTL" : "IPV6_UNICAST_HOPS", ttl, out error))
            && (minimum is not { } least || TrySet(socket, v4 ? SolIp : SolIpv6, v4 ? IpMinTtl : Ipv6MinHopCount, v4 ? "IP_MINTTL" : "IPV6_MINHOPCOUNT", least, out error));
    }

    /// <summary>
    /// A listener is shared by every passive peer, so it cannot carry one peer's minimum (each
    /// accepted socket gets its peer's); but its SYN-ACKs must already leave with TTL 255, or a GTSM
    /// peer's kernel drops them. Higher than single hop's 1 harms no one: the accepted socket then
    /// sends with its peer's TTL.
    /// </summary>
    public static void ApplyToListener(Socket listener)
    {
        if (listener.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Set(listener, SolIpv6, Ipv6UnicastHops, "IPV6_UNICAST_HOPS", MaxTtl);
            if (!listener.DualMode)
            {
                return;
            }
        }
        Set(listener, SolIp, IpTtl, "IP_TTL", MaxTtl);
    }

    private static void Set(Socket socket, int level, int name, string optionName, int value)
    {
        if (!TrySet(socket, level, name, optionName, value, out var error))
        {
            throw new InvalidOperationException(error);
        }
    }

    private static bool TrySet(Socket socket, int level, int name, string optionName, int value, out string error)
    {
        Span<byte> option = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(option, in value);
        try
        {
            socket.SetRawSocketOption(level, name, option);
            error = "";
            return true;
        }
        catch (SocketException ex)
        {
            error = $"setting {optionName} to {value} failed: {ex.Message} ({ex.SocketErrorCode})";
            return false;
        }
    }
}
