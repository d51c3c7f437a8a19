using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Session;

/// <summary>
/// eBGP TTL, multihop and GTSM (RFC 5082) on real sockets over loopback: a scripted peer whose own
/// socket carries a minimum TTL shows what TTL we send (the kernel drops anything lower), and a
/// peer sending the kernel's default TTL 64 shows our GTSM minimum at work.
/// </summary>
public sealed class TtlTests
{
    private const uint OurAsn = 64512;
    private const uint PeerAsnNumber = 64513;

    private static readonly PeerOptions External = new() { LocalAsn = OurAsn, PeerAsn = PeerAsn.Of(PeerAsnNumber), RouterId = 0x7F000001, HoldTime = 9 };

    [Fact]
    public void Ttl_and_minimum_follow_the_options()
    {
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179));
        Assert.Equal(((int?)1, (int?)null), SocketTtl.For(endpoint, internalPeer: false)); // eBGP single hop
        Assert.Equal(((int?)null, (int?)null), SocketTtl.For(endpoint, internalPeer: true)); // iBGP: kernel default
        Assert.Equal(((int?)255, (int?)null), SocketTtl.For(endpoint with { EbgpMultiHop = 255 }, false));
        Assert.Equal(((int?)4, (int?)null), SocketTtl.For(endpoint with { EbgpMultiHop = 4 }, false));
        Assert.Equal(((int?)255, (int?)255), SocketTtl.For(endpoint with { GtsmHops = 1 }, false)); // RFC 5082 §3: 255 − (1 − 1)
        Assert.Equal(((int?)255, (int?)253), SocketTtl.For(endpoint with { GtsmHops = 3 }, true));
    }

    [Fact]
    public void Contradicting_options_are_refused_with_what_is_wrong()
    {
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179));
        var both = Assert.Throws<ArgumentException>(() => new PeerSession(External, endpoint with { GtsmHops = 1, EbgpMultiHop = 255 }, TimeProvider.System, new Random(1)));
        Assert.Contains("EbgpMultiHop and GtsmHops are both set", both.Message, StringComparison.Ordinal);
        var ibgp = Assert.Throws<ArgumentException>(() => new PeerSession(External with { PeerAsn = PeerAsn.Internal }, endpoint with { EbgpMultiHop = 2 }, TimeProvider.System, new Random(1)));
        Assert.Contains("internal (iBGP) peer", ibgp.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PeerSession(External, endpoint with { GtsmHops = 0 }, TimeProvider.System, new Random(1)));
        Assert.Throws<ArgumentException>(() => new PeerSession(External, endpoint with { OutputBudget = 1000 }, TimeProvider.System, new Random(1)));
    }

    /// <summary>A scripted peer listening with a minimum TTL (and sending with <paramref name="peerTtl"/>) on loopback.</summary>
    private static TcpListener PeerListener(IPAddress address, int? minimumTtl, int? peerTtl)
    {
        var listener = new TcpListener(address, 0);
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (minimumTtl is { } least)
        {
            SetInt(listener.Server, v4 ? 0 : 41, v4 ? 21 : 73, least); // IP_MINTTL / IPV6_MINHOPCOUNT
        }
        if (peerTtl is { } ttl)
        {
            SetInt(listener.Server, v4 ? 0 : 41, v4 ? 2 : 16, ttl); // IP_TTL / IPV6_UNICAST_HOPS
        }
        listener.Start();
        return listener;
    }

    private static void SetInt(Socket socket, int level, int name, int value)
    {
        Span<byte> option = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(option, in value);
        socket.SetRawSocketOption(level, name, option);
    }

    private static PeerSession Session(TcpListener peer, PeerEndpoint? template = null) =>
        new(External, (template ?? new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179))) with
        {
            Remote = (IPEndPoint)peer.LocalEndpoint,
            ConnectTimeout = TimeSpan.FromSeconds(1),
        }, new FakeTimeProvider(), new Random(1));

    /// <summary>Whether the peer sees our connection (and our OPEN on it) within a few seconds.</summary>
    private static async Task<bool> ReachesAsync(TcpListener peer)
    {
        try
        {
            using var accepted = new MessageSocket(await peer.AcceptSocketAsync(new CancellationTokenSource(TimeSpan.FromSeconds(3)).Token));
            Assert.IsType<OpenMessage>(await accepted.ReceiveAsync());
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Gtsm_sends_255_where_single_hop_sends_1(string address)
    {
        // The peer requires 255 (as a GTSM router does) and itself sends 255.
        using var peer = PeerListener(IPAddress.Parse(address), minimumTtl: 255, peerTtl: 255);
        try
        {
            await using (var singleHop = Session(peer))
            {
                singleHop.Start();
                Assert.False(await ReachesAsync(peer), "a single-hop eBGP session (TTL 1) passed a minimum of 255");
            }
            await using var gtsm = Session(peer, new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179)) { GtsmHops = 1 });
            gtsm.Start();
            Assert.True(await ReachesAsync(peer), $"GTSM session did not reach the peer: {gtsm.LastConnectionError}");
        }
        finally
        {
            peer.Stop();
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Multihop_sends_the_configured_ttl(string address)
    {
        using var peer = PeerListener(IPAddress.Parse(address), minimumTtl: 10, peerTtl: null);
        try
        {
            await using (var below = Session(peer, new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179)) { EbgpMultiHop = 9 }))
            {
                below.Start();
                Assert.False(await ReachesAsync(peer), "TTL 9 passed a minimum of 10");
            }
            await using var enough = Session(peer, new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179)) { EbgpMultiHop = 10 });
            enough.Start();
            Assert.True(await ReachesAsync(peer), $"TTL 10 did not pass a minimum of 10: {enough.LastConnectionError}");
        }
        finally
        {
            peer.Stop();
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Our_gtsm_minimum_drops_a_peer_sending_ttl_64_and_says_why(string address)
    {
        // The peer answers with the kernel's default TTL (64): our IP_MINTTL / IPV6_MINHOPCOUNT of
        // 255 drops its SYN-ACK, so our connect never completes.
        using var peer = PeerListener(IPAddress.Parse(address), minimumTtl: null, peerTtl: 64);
        try
        {
            await using var gtsm = Session(peer, new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, 179)) { GtsmHops = 1 });
            gtsm.Start();
            Assert.True(SpinWait.SpinUntil(() => gtsm.LastConnectionError is not null, MessageSocket.Bound));
            Assert.Matches(@"timed out after [0-9.]+ s \(GTSM is on: the peer must send TTL 255 and be at most 1 hop\(s\) away\)", gtsm.LastConnectionError);
            Assert.NotEqual(BgpState.Established, gtsm.State);
        }
        finally
        {
            peer.Stop();
        }
    }

    [Fact]
    public async Task A_socket_option_the_kernel_refuses_is_the_peers_error_and_nothing_is_sent()
    {
        // An IPv4 socket for an IPv6 peer: the kernel refuses IPV6_UNICAST_HOPS on it, and the
        // session reports that instead of connecting without GTSM.
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.IPv6Loopback, 179))
        {
            GtsmHops = 1,
            SocketFactory = _ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
        };
        await using var session = new PeerSession(External, endpoint, new FakeTimeProvider(), new Random(1));
        session.Start();
        Assert.True(SpinWait.SpinUntil(() => session.LastConnectionError is not null, MessageSocket.Bound));
        Assert.StartsWith("connect to [::1]:179: setting IPV6_UNICAST_HOPS to 255 failed: ", session.LastConnectionError, StringComparison.Ordinal);
        Assert.NotEqual(BgpState.Established, session.State);
    }
}
