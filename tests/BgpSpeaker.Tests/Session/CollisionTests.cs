using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Session;

/// <summary>
/// RFC 4271 §6.8 against a scripted peer on loopback that opens a connection to us while ours to
/// it is under way: both connections carry OPENs and the BGP Identifiers decide which one stays.
/// </summary>
public sealed class CollisionTests
{
    private static readonly TimeSpan Bound = MessageSocket.Bound;

    private const uint OurAsn = 64512;
    private const uint PeerAsnNumber = 64513;

    /// <summary>
    /// Our session connecting to a scripted peer: <see cref="Ours"/> is the connection we opened
    /// (peer's end), <see cref="Theirs"/> the one the peer opened to us (peer's end), handed to
    /// the session as the speaker's listener would.
    /// </summary>
    private sealed class Race : IAsyncDisposable
    {
        private readonly TcpListener _peer = new(IPAddress.Loopback, 0);
        private readonly TcpListener _us = new(IPAddress.Loopback, 0);

        public Race(uint ourId, uint ourAsn = OurAsn, uint peerAsn = PeerAsnNumber)
        {
            _peer.Start();
            _us.Start();
            var options = new PeerOptions { LocalAsn = ourAsn, PeerAsn = PeerAsn.Of(peerAsn), RouterId = ourId, HoldTime = 9 };
            Session = new PeerSession(options, new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)_peer.LocalEndpoint).Port)),
                new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)), new Random(1));
        }

        public PeerSession Session { get; }

        public MessageSocket Ours { get; private set; } = null!;

        public MessageSocket Theirs { get; private set; } = null!;

        /// <summary>Our connection is up and our OPEN read on it (OpenSent); then the peer connects to us and reads our OPEN there too.</summary>
        public async Task BothConnectedAsync()
        {
            Session.Start();
            Ours = new MessageSocket(await _peer.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
            Assert.IsType<OpenMessage>(await Ours.ReceiveAsync());
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync((IPEndPoint)_us.LocalEndpoint, new CancellationTokenSource(Bound).Token);
            Session.Accept(await _us.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
            Theirs = new MessageSocket(client);
            Assert.IsType<OpenMessage>(await Theirs.ReceiveAsync());
        }

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync();
            Ours?.Dispose();
            Theirs?.Dispose();
            _peer.Stop();
            _us.Stop();
        }
    }

    private static OpenMessage PeerOpen(uint id, uint asn = PeerAsnNumber) => OpenMessage.Create((ushort)asn, 9, id, new FourOctetAsnCapability(asn));

    private static async Task AssertCollisionCeaseAsync(MessageSocket loser)
    {
        var notification = Assert.IsType<NotificationMessage>(await loser.ReceiveAsync(skipKeepalives: true));
        Assert.Equal(BgpErrorCode.Cease, notification.Code);
        Assert.Equal((byte)CeaseSubcode.ConnectionCollisionResolution, notification.Subcode);
        Assert.True(await loser.ClosedAsync(), "the losing connection stays open");
    }

    /// <summary>After the collision: the survivor reaches Established and carries the routes (End-of-RIB).</summary>
    private static async Task AssertEstablishedOnAsync(Race race, MessageSocket survivor)
    {
        await survivor.SendAsync(KeepaliveMessage.Instance);
        Assert.True(SpinWait.SpinUntil(() => race.Session.State == BgpState.Established, Bound),
            $"{race.Session.State}: {race.Session.LastDown} {race.Session.LastConnectionError}");
        var eor = Assert.IsType<UpdateMessage>(await survivor.ReceiveAsync(skipKeepalives: true));
        Assert.True(eor.IsEndOfRib(out _));
        Assert.Equal(1, race.Session.CollisionsResolved);
    }

    [Theory]
    // §6.8: "converting them to host byte order and treating them as (4-octet long) unsigned
    // integers": 0x80000001 is larger than 0x7FFFFFFF (as signed integers it would be smaller).
    [InlineData(0x80000001u, 0x7FFFFFFFu)]
    [InlineData(0xC0000202u, 0xC0000201u)]
    public async Task With_the_higher_identifier_our_connection_survives_and_theirs_gets_cease_7(uint ourId, uint peerId)
    {
        await using var race = new Race(ourId);
        await race.BothConnectedAsync();
        await race.Ours.SendAsync(PeerOpen(peerId));
        Assert.IsType<KeepaliveMessage>(await race.Ours.ReceiveAsync()); // ours: OpenConfirm
        await race.Theirs.SendAsync(PeerOpen(peerId)); // theirs' OPEN meets ours in OpenConfirm: resolved
        await AssertCollisionCeaseAsync(race.Theirs);
        await AssertEstablishedOnAsync(race, race.Ours);
    }

    [Theory]
    [InlineData(0x7FFFFFFFu, 0x80000001u)]
    [InlineData(0xC0000201u, 0xC0000202u)]
    public async Task With_the_lower_identifier_their_connection_survives_and_ours_gets_cease_7(uint ourId, uint peerId)
    {
        await using var race = new Race(ourId);
        await race.BothConnectedAsync();
        await race.Ours.SendAsync(PeerOpen(peerId));
        Assert.IsType<KeepaliveMessage>(await race.Ours.ReceiveAsync());
        await race.Theirs.SendAsync(PeerOpen(peerId));
        await AssertCollisionCeaseAsync(race.Ours);
        Assert.IsType<KeepaliveMessage>(await race.Theirs.ReceiveAsync()); // theirs: OpenConfirm
        await AssertEstablishedOnAsync(race, race.Theirs);
        // The peering carries on over their connection: no restart back-off, no second connect.
        Assert.Equal(BgpState.Established, race.Session.State);
    }

    [Fact]
    public async Task The_opens_arriving_in_the_other_order_resolve_alike()
    {
        // Theirs reaches OpenConfirm first; the OPEN on ours then decides (we are higher: ours stays).
        await using var race = new Race(0xC0000202);
        await race.BothConnectedAsync();
        await race.Theirs.SendAsync(PeerOpen(0xC0000201));
        Assert.IsType<KeepaliveMessage>(await race.Theirs.ReceiveAsync());
        await race.Ours.SendAsync(PeerOpen(0xC0000201));
        await AssertCollisionCeaseAsync(race.Theirs);
        Assert.IsType<KeepaliveMessage>(await race.Ours.ReceiveAsync());
        await AssertEstablishedOnAsync(race, race.Ours);
    }

    [Theory]
    // RFC 6286 §2.3: equal identifiers (allowed between external peers): the larger AS wins.
    [InlineData(64514u, true)]
    [InlineData(64512u, false)]
    public async Task Equal_identifiers_are_decided_by_the_larger_as(uint ourAsn, bool oursSurvives)
    {
        const uint id = 0xC0000201;
        await using var race = new Race(id, ourAsn);
        await race.BothConnectedAsync();
        await race.Ours.SendAsync(PeerOpen(id));
        Assert.IsType<KeepaliveMessage>(await race.Ours.ReceiveAsync());
        await race.Theirs.SendAsync(PeerOpen(id));
        await AssertCollisionCeaseAsync(oursSurvives ? race.Theirs : race.Ours);
        if (!oursSurvives)
        {
            Assert.IsType<KeepaliveMessage>(await race.Theirs.ReceiveAsync());
        }
        await AssertEstablishedOnAsync(race, oursSurvives ? race.Ours : race.Theirs);
    }

    [Fact]
    public async Task Their_connection_reaching_established_first_makes_ours_the_loser()
    {
        // Theirs goes all the way while ours is still in OpenSent; ours' OPEN then meets an
        // Established session and is closed (§6.8), whatever the identifiers say.
        await using var race = new Race(0xC0000202);
        await race.BothConnectedAsync();
        await race.Theirs.SendAsync(PeerOpen(0xC0000201));
        Assert.IsType<KeepaliveMessage>(await race.Theirs.ReceiveAsync());
        await race.Theirs.SendAsync(KeepaliveMessage.Instance);
        Assert.True(SpinWait.SpinUntil(() => race.Session.State == BgpState.Established, Bound), $"{race.Session.State}");
        await race.Ours.SendAsync(PeerOpen(0xC0000201));
        await AssertCollisionCeaseAsync(race.Ours);
        Assert.Equal(BgpState.Established, race.Session.State);
        Assert.Equal(1, race.Session.CollisionsResolved);
    }

    [Fact]
    public async Task A_connection_against_an_established_session_gets_cease_7_and_the_session_stays()
    {
        await using var race = new Race(0x7F000001);
        await race.BothConnectedAsync();
        // The peer's connection went nowhere yet; ours establishes.
        await race.Ours.SendAsync(PeerOpen(0xC0000201));
        Assert.IsType<KeepaliveMessage>(await race.Ours.ReceiveAsync());
        await race.Ours.SendAsync(KeepaliveMessage.Instance);
        Assert.True(SpinWait.SpinUntil(() => race.Session.State == BgpState.Established, Bound));
        await race.Theirs.SendAsync(PeerOpen(0xC0000201));
        await AssertCollisionCeaseAsync(race.Theirs);
        Assert.Equal(BgpState.Established, race.Session.State);
    }

    [Fact]
    public async Task A_new_connection_while_established_is_refused_with_cease_7_before_any_open()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var peerPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var session = new PeerSession(
            new PeerOptions { LocalAsn = OurAsn, PeerAsn = PeerAsn.Of(PeerAsnNumber), RouterId = 0x7F000001, HoldTime = 9 },
            new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, peerPort)), new FakeTimeProvider(), new Random(1));
        session.Start();
        using var ours = new MessageSocket(await listener.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
        Assert.IsType<OpenMessage>(await ours.ReceiveAsync());
        await ours.SendAsync(PeerOpen(0xC0000201));
        await ours.SendAsync(KeepaliveMessage.Instance);
        Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Established, Bound));

        using var us = new TcpListener(IPAddress.Loopback, 0);
        us.Start();
        using var theirs = new MessageSocket(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        await theirs.Socket.ConnectAsync((IPEndPoint)us.LocalEndpoint, new CancellationTokenSource(Bound).Token);
        session.Accept(await us.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
        await AssertCollisionCeaseAsync(theirs);
        Assert.Equal(BgpState.Established, session.State);
        Assert.Equal(1, session.CollisionsResolved);
    }

    [Fact]
    public async Task A_passive_peer_opening_a_second_connection_keeps_the_newer_one()
    {
        // Both connections were opened by the peer: no §6.8 collision between two initiators; the
        // peer has given up the older one, so the newer one stays whatever the identifiers.
        using var us = new TcpListener(IPAddress.Loopback, 0);
        us.Start();
        await using var session = new PeerSession(
            new PeerOptions { LocalAsn = OurAsn, PeerAsn = PeerAsn.Of(PeerAsnNumber), RouterId = 0xC0000202, HoldTime = 9 },
            new PeerEndpoint(new IPEndPoint(IPAddress.Loopback, PeerEndpoint.BgpPort)), new FakeTimeProvider(), new Random(1));
        session.Start(passive: true);
        async Task<MessageSocket> ConnectAsync()
        {
            var peer = new MessageSocket(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            await peer.Socket.ConnectAsync((IPEndPoint)us.LocalEndpoint, new CancellationTokenSource(Bound).Token);
            session.Accept(await us.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));
            Assert.IsType<OpenMessage>(await peer.ReceiveAsync());
            return peer;
        }
        using var older = await ConnectAsync();
        using var newer = await ConnectAsync();
        await older.SendAsync(PeerOpen(0xC0000201));
        Assert.IsType<KeepaliveMessage>(await older.ReceiveAsync());
        await newer.SendAsync(PeerOpen(0xC0000201));
        await AssertCollisionCeaseAsync(older);
        Assert.IsType<KeepaliveMessage>(await newer.ReceiveAsync());
        await newer.SendAsync(KeepaliveMessage.Instance);
        Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Established, Bound), $"{session.State}: {session.LastDown}");
        Assert.Equal(1, session.CollisionsResolved);
    }
}
