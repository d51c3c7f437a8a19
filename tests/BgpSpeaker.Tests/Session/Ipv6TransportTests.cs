using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Session;

/// <summary>
/// Sessions over IPv6 (::1): active, and passive through the facade's listener on [::], which also
/// takes IPv4 peers (IPv4-mapped). IPv6 VIPs go with the session's own address as next hop; IPv4
/// VIPs need an IPv4 next hop, which an IPv6 session does not have unless one is configured.
/// </summary>
public sealed class Ipv6TransportTests
{
    private static readonly TimeSpan Bound = MessageSocket.Bound;

    private static readonly PeerOptions Options = new() { LocalAsn = 64512, PeerAsn = PeerAsn.Of(64513), RouterId = 0x7F000001, HoldTime = 9 };

    private static readonly List<Route> Routes = [new(IpPrefix.Parse("198.18.0.1/32")), new(IpPrefix.Parse("2001:db8:ffff::1/128"))];

    private static FakeTimeProvider Time() => new(DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Answers our OPEN with both unicast families, and our KEEPALIVE.</summary>
    private static async Task EstablishAsync(MessageSocket peer)
    {
        Assert.IsType<OpenMessage>(await peer.ReceiveAsync());
        await peer.SendAsync(OpenMessage.Create(64513, 9, 0x7F000002, new MultiprotocolCapability(AfiSafi.IPv4Unicast),
            new MultiprotocolCapability(AfiSafi.IPv6Unicast), new FourOctetAsnCapability(64513)));
        await peer.SendAsync(KeepaliveMessage.Instance);
        Assert.IsType<KeepaliveMessage>(await peer.ReceiveAsync());
    }

    /// <summary>The UPDATEs of the initial dump up to both End-of-RIBs, announcements only (their bytes in <paramref name="raw"/>).</summary>
    private static async Task<List<UpdateMessage>> ReceiveDumpAsync(MessageSocket peer, List<byte[]>? raw = null)
    {
        var updates = new List<UpdateMessage>();
        for (var endOfRibs = 0; endOfRibs < 2;)
        {
            var update = Assert.IsType<UpdateMessage>(await peer.ReceiveAsync(skipKeepalives: true));
            if (update.IsEndOfRib(out _))
            {
                endOfRibs++;
            }
            else
            {
                updates.Add(update);
                raw?.Add(peer.LastRaw);
            }
        }
        return updates;
    }

    [Fact]
    public async Task Active_over_ipv6_announces_ipv6_vips_with_our_address_and_ipv4_vips_only_with_a_configured_next_hop()
    {
        foreach (var nextHopV4 in new IPAddress?[] { null, IPAddress.Parse("203.0.113.5") })
        {
            using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
            listener.Start();
            var endpoint = new PeerEndpoint((IPEndPoint)listener.LocalEndpoint) { NextHopV4 = nextHopV4 };
            await using var session = new PeerSession(Options, endpoint, Time(), new Random(1));
            session.SetRoutes(Routes);
            session.Start();
            using var peer = new MessageSocket(await listener.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
            await EstablishAsync(peer);
            Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Established, Bound));
            var updates = await ReceiveDumpAsync(peer);

            var v6 = Assert.Single(updates, u => u.Attributes.MpReach is not null).Attributes.MpReach!;
            Assert.Equal(IPAddress.IPv6Loopback, v6.NextHop);
            Assert.Equal(IpPrefix.Parse("2001:db8:ffff::1/128"), Assert.Single(v6.Nlri).Prefix);
            var v4 = updates.Where(u => u.Nlri.Count > 0).ToList();
            if (nextHopV4 is null)
            {
                Assert.Empty(v4); // no IPv4 next hop on an IPv6 session, and no RFC 8950
            }
            else
            {
                Assert.Equal(nextHopV4, Assert.Single(v4).Attributes.NextHop);
                Assert.Equal(IpPrefix.Parse("198.18.0.1/32"), Assert.Single(Assert.Single(v4).Nlri).Prefix);
            }
        }
    }

    [Fact]
    public async Task A_listener_on_the_ipv6_any_address_takes_ipv6_and_ipv4_passive_peers()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.IPv6Any, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        await using var speaker = new BgpSpeaker(Time(), () => new Random(1));
        speaker.Listen(new IPEndPoint(IPAddress.IPv6Any, port));
        speaker.SetRoutes(Routes);
        // The remote port does not matter for a passive peer: it is matched by address.
        await speaker.AddOrUpdatePeerAsync("v6", Options, new PeerEndpoint(new IPEndPoint(IPAddress.IPv6Loopback, PeerEndpoint.BgpPort)), passive: true, CancellationToken.None);
        await speaker.AddOrUpdatePeerAsync("v4", Options, new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, PeerEndpoint.BgpPort)), passive: true, CancellationToken.None);

        foreach (var (name, from) in new[] { ("v6", IPAddress.IPv6Loopback), ("v4", IPAddress.Loopback) })
        {
            using var peer = new MessageSocket(new Socket(from.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
            await peer.Socket.ConnectAsync(new IPEndPoint(from, port), new CancellationTokenSource(Bound).Token);
            await EstablishAsync(peer);
            Assert.True(SpinWait.SpinUntil(() => speaker.Peers.Single(p => p.Name == name).State == BgpState.Established, Bound), name);
            var raw = new List<byte[]>();
            var updates = await ReceiveDumpAsync(peer, raw);
            // Over IPv6 the IPv6 VIP goes with ::1; over IPv4 the IPv4 VIP with 127.0.0.1 (the IPv6 one
            // has no IPv6 next hop there: NextHopV6 is not configured).
            if (name == "v6")
            {
                Assert.Equal(IPAddress.IPv6Loopback, Assert.Single(updates).Attributes.MpReach!.NextHop);
            }
            else
            {
                Assert.Equal(IpPrefix.Parse("198.18.0.1/32"), Assert.Single(Assert.Single(updates).Nlri).Prefix);
                // Our decoder refuses 127.0.0.1 as a next hop (RFC 4271 §6.3), so the attribute is
                // read from the bytes: NEXT_HOP (flags 0x40, type 3, length 4) 127.0.0.1, unmapped from
                // the socket's ::ffff:127.0.0.1.
                Assert.True(raw[0].AsSpan().IndexOf(new byte[] { 0x40, 0x03, 0x04, 127, 0, 0, 1 }) > 0, Convert.ToHexString(raw[0]));
            }
        }
    }
}
