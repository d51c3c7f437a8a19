using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Runtime;

/// <summary>Turns a validated BGPPeer into the speaker's session options and endpoint.</summary>
public static class PeerSettings
{
    /// <summary>RFC 4724 §3 leaves the Restart Time to the operator; 120 s is FRR's and GoBGP's default and covers a daemon restart with room to spare.</summary>
    public const ushort GracefulRestartTime = 120;

    public static PeerOptions Options(BgpPeerConfig peer, uint routerId, bool restarted)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var asn = peer.PeerAsn is { } fixedAsn ? PeerAsn.Of(fixedAsn)
            : peer.DynamicAsn == DynamicAsn.Internal ? PeerAsn.Internal
            : PeerAsn.External;
        var defaults = new PeerOptions { LocalAsn = peer.MyAsn, PeerAsn = asn, RouterId = routerId };
        return defaults with
        {
            HoldTime = (ushort)peer.HoldTime.TotalSeconds,
            KeepaliveTime = peer.KeepaliveTime,
            ConnectRetryTime = peer.ConnectTime ?? defaults.ConnectRetryTime,
            // MetalLB's disableMP: each family over a session of its own family (no MP-BGP for the other).
            Families = peer.DisableMP
                ? new[] { peer.PeerAddress.Family == Allocator.IpFamily.IPv4 ? AfiSafi.IPv4Unicast : AfiSafi.IPv6Unicast }
                : defaults.Families,
            GracefulRestartTime = peer.EnableGracefulRestart ? GracefulRestartTime : null,
            Restarted = peer.EnableGracefulRestart && restarted,
        };
    }

    public static PeerEndpoint Endpoint(BgpPeerConfig peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var external = peer.PeerAsn is { } asn ? asn != peer.MyAsn : peer.DynamicAsn == DynamicAsn.External;
        return new PeerEndpoint(new IPEndPoint(peer.PeerAddress.ToIPAddress(), peer.PeerPort))
        {
            LocalAddress = peer.SourceAddress?.ToIPAddress(),
            Password = peer.Password,
            // MetalLB's ebgpMultiHop: true lets the session cross routers: TTL 255 instead of 1 (eBGP only; iBGP is never limited).
            EbgpMultiHop = peer.EbgpMultiHop && external ? (byte)255 : null,
        };
    }

    /// <summary>
    /// The BGP Identifier: routerID if given; otherwise, as MetalLB takes the node's address, the IPv4
    /// address this host would use towards an IPv4 peer (a connected UDP socket: the kernel picks the
    /// source, nothing is sent), or the first global IPv4 address of an interface for an IPv6 peer.
    /// </summary>
    public static uint RouterId(BgpPeerConfig peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.RouterId is { } configured)
        {
            return (uint)configured.Value;
        }
        if (peer.SourceAddress is { Family: Allocator.IpFamily.IPv4 } source)
        {
            return (uint)source.Value;
        }
        if (peer.PeerAddress.Family == Allocator.IpFamily.IPv4)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                probe.Connect(new IPEndPoint(peer.PeerAddress.ToIPAddress(), peer.PeerPort));
                if (probe.LocalEndPoint is IPEndPoint { Address: var local } && !local.Equals(IPAddress.Any))
                {
                    return (uint)Allocator.IpAddress.FromIPAddress(local).Value;
                }
            }
            catch (SocketException)
            {
                // No route to the peer yet: fall through to the interfaces.
            }
        }
        var any = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        return any is not null
            ? (uint)Allocator.IpAddress.FromIPAddress(any).Value
            : throw new InvalidOperationException(
                $"BGPPeer {peer.Namespace}/{peer.Name}: no routerID is configured and this host has no IPv4 address to take one from; set spec.routerID");
    }
}
