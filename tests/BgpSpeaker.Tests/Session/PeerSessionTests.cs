using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Session;

/// <summary>The session's timers on a <see cref="FakeTimeProvider"/>, against a scripted peer on loopback.</summary>
public sealed class PeerSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A peer scripted by the test: reads and writes whole messages on an accepted socket.</summary>
    private sealed class ScriptedPeer : IDisposable
    {
        private readonly TcpListener _listener;
        private MessageSocket? _socket;

        public ScriptedPeer(IPAddress address)
        {
            _listener = new TcpListener(address, 0);
            _listener.Start();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async Task AcceptAsync() => _socket = new MessageSocket(await _listener.AcceptSocketAsync(new CancellationTokenSource(Bound).Token));

        public Task SendAsync(BgpMessage message) => _socket!.SendAsync(message);

        public Task SendRawAsync(byte[] bytes) => _socket!.SendRawAsync(bytes);

        public Task<BgpMessage> ReceiveAsync(bool skipKeepalives = false) => _socket!.ReceiveAsync(skipKeepalives);

        public void Dispose()
        {
            _socket?.Dispose();
            _listener.Stop();
        }
    }

    private static async Task<(PeerSession Session, ScriptedPeer Peer, FakeTimeProvider Time)> EstablishAsync(
        CollectingLogger? logger = null, FakeTimeProvider? time = null, Action<PeerSession>? beforeStart = null)
    {
        var address = IPAddress.Loopback;
        var peer = new ScriptedPeer(address);
        time ??= new FakeTimeProvider(Epoch);
        var options = new PeerOptions { LocalAsn = 64512, PeerAsn = PeerAsn.Of(64513), RouterId = 0x7F000001, HoldTime = 9 };
        var session = new PeerSession(options, new PeerEndpoint(new IPEndPoint(address, peer.Port)), time, new Random(1), logger);
        beforeStart?.Invoke(session);
        session.Start();
        await HandshakeAsync(session, peer);
        return (session, peer, time);
    }

    private static readonly DateTimeOffset Epoch = DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task HandshakeAsync(PeerSession session, ScriptedPeer peer)
    {
        await peer.AcceptAsync();
        Assert.IsType<OpenMessage>(await peer.ReceiveAsync());
        await peer.SendAsync(OpenMessage.Create(64513, 9, 0x7F000002, new FourOctetAsnCapability(64513)));
        await peer.SendAsync(KeepaliveMessage.Instance);
        Assert.IsType<KeepaliveMessage>(await peer.ReceiveAsync());
        Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Established, Bound));
    }

    [Fact]
    public async Task Keepalives_go_out_every_third_of_the_hold_time()
    {
        var (session, peer, time) = await EstablishAsync();
        await using (session)
        using (peer)
        {
            // Initial UPDATE burst: End-of-RIB for IPv4 (the only family negotiated).
            var eor = Assert.IsType<UpdateMessage>(await peer.ReceiveAsync());
            Assert.True(eor.IsEndOfRib(out _));
            time.Advance(TimeSpan.FromSeconds(3)); // 3 s jittered into [2.25, 3]
            Assert.IsType<KeepaliveMessage>(await peer.ReceiveAsync());
        }
    }

    [Fact]
    public async Task A_silent_peer_is_dropped_with_hold_timer_expired_after_the_hold_time()
    {
        var logger = new CollectingLogger();
        var (session, peer, time) = await EstablishAsync(logger);
        await using (session)
        using (peer)
        {
            Assert.IsType<UpdateMessage>(await peer.ReceiveAsync()); // End-of-RIB
            time.Advance(TimeSpan.FromSeconds(8));
            Assert.True(session.State == BgpState.Established, $"{session.State}: {session.LastDown} {session.LastConnectionError}");
            time.Advance(TimeSpan.FromSeconds(1.5));
            var notification = Assert.IsType<NotificationMessage>(await peer.ReceiveAsync(skipKeepalives: true));
            Assert.Equal(BgpErrorCode.HoldTimerExpired, notification.Code);
            Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Idle, Bound));
            Assert.Equal(DownReason.HoldTimerExpired, session.LastDown!.Reason);
            Assert.Contains(logger.Entries, e => e.Id.Id == 1002 && e.Message.Contains("AS 64513, hold 00:00:09", StringComparison.Ordinal));
            Assert.Contains(logger.Entries, e => e.Id.Id == 1001 && e.Message.Contains("HoldTimerExpired, sent NOTIFICATION HoldTimerExpired", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_malformed_update_resets_the_session_with_its_notification()
    {
        var (session, peer, _) = await EstablishAsync();
        await using (session)
        using (peer)
        {
            Assert.IsType<UpdateMessage>(await peer.ReceiveAsync());
            // Withdrawn Routes Length 0x00ff runs past the message: 3/1 Malformed Attribute List (RFC 4271 §6.3).
            var bad = Convert.FromHexString("ffffffffffffffffffffffffffffffff" + "0017" + "02" + "00ff0000");
            await peer.SendRawAsync(bad);
            var notification = Assert.IsType<NotificationMessage>(await peer.ReceiveAsync(skipKeepalives: true));
            Assert.Equal(BgpErrorCode.Update, notification.Code);
            Assert.Equal((byte)UpdateSubcode.MalformedAttributeList, notification.Subcode);
            Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Idle, Bound));
            Assert.Equal(DownReason.UpdateMessageError, session.LastDown!.Reason);
        }
    }

    /// <summary>A fake clock whose next timer creation fails: a fault inside the session loop, injected.</summary>
    private sealed class FaultyTime() : FakeTimeProvider(Epoch)
    {
        public volatile bool FailNext;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException("injected timer fault");
            }
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Fact]
    public async Task A_fault_inside_the_loop_is_logged_and_the_session_starts_afresh()
    {
        var logger = new CollectingLogger();
        var time = new FaultyTime();
        var (session, peer, _) = await EstablishAsync(logger, time);
        await using (session)
        using (peer)
        {
            Assert.IsType<UpdateMessage>(await peer.ReceiveAsync()); // End-of-RIB
            time.FailNext = true;
            await peer.SendAsync(KeepaliveMessage.Instance); // restarts the Hold timer: the fault
            Assert.True(SpinWait.SpinUntil(() => session.LastConnectionError is not null, Bound));
            Assert.Contains("internal error in the session loop, session restarted: InvalidOperationException: injected timer fault", session.LastConnectionError, StringComparison.Ordinal);
            Assert.Contains(logger.Entries, e => e.Id.Id == 1010);
            // Started again as configured: it connects and completes a new handshake.
            await HandshakeAsync(session, peer);
        }
    }

    [Fact]
    public async Task A_throwing_state_subscriber_is_logged_and_does_not_stop_the_session()
    {
        var logger = new CollectingLogger();
        var (session, peer, _) = await EstablishAsync(logger, beforeStart: s => s.StateChanged += (_, _) => throw new InvalidOperationException("subscriber bug"));
        await using (session)
        using (peer)
        {
            Assert.Contains(logger.Entries, e => e.Id.Id == 1009);
            Assert.Null(session.LastConnectionError);
        }
    }

    [Fact]
    public async Task A_flood_beyond_the_receive_queue_is_paused_not_lost()
    {
        var (session, peer, _) = await EstablishAsync();
        await using (session)
        using (peer)
        {
            Assert.IsType<UpdateMessage>(await peer.ReceiveAsync()); // End-of-RIB
            // Eight times the queue's bound in one write: the reader must wait for the loop, then go on.
            const int Count = PeerSession.MaxQueuedMessages * 8;
            var endOfRib = Convert.FromHexString("ffffffffffffffffffffffffffffffff" + "0017" + "02" + "00000000");
            await peer.SendRawAsync(Enumerable.Repeat(endOfRib, Count).SelectMany(b => b).ToArray());
            Assert.True(SpinWait.SpinUntil(() => session.UpdatesReceived == Count, Bound), $"{session.UpdatesReceived} of {Count} UPDATEs processed");
            Assert.Equal(BgpState.Established, session.State);
        }
    }

    [Fact]
    public async Task Routes_the_peer_announces_are_kept_for_display_until_the_session_ends()
    {
        var (session, peer, time) = await EstablishAsync();
        await using (session)
        using (peer)
        {
            Assert.IsType<UpdateMessage>(await peer.ReceiveAsync()); // End-of-RIB
            var attributes = new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(64513), NextHop = IPAddress.Parse("203.0.113.1") };
            var update = new UpdateMessage(default, attributes, new[] { new Nlri(IpPrefix.Parse("0.0.0.0/0")) });
            await peer.SendRawAsync(MessageWriter.ToArray(update, new CodecOptions { FourOctetAsn = true })); // as negotiated
            Assert.True(SpinWait.SpinUntil(() => session.ReceivedRoutes.Held == 1, Bound));
            var route = Assert.Single(await session.GetReceivedRoutesAsync(CancellationToken.None));
            Assert.Equal(IpPrefix.Parse("0.0.0.0/0"), route.Nlri.Prefix);
            Assert.Equal(IPAddress.Parse("203.0.113.1"), route.NextHop);
            time.Advance(TimeSpan.FromSeconds(10)); // silent peer: hold timer expires
            Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Idle, Bound));
            Assert.Empty(await session.GetReceivedRoutesAsync(CancellationToken.None));
            Assert.Equal(0, session.ReceivedRoutes.Held);
        }
    }

    [Fact]
    public async Task Uptime_flaps_and_the_notification_received_are_kept_for_the_operator()
    {
        var (session, peer, time) = await EstablishAsync();
        await using (session)
        using (peer)
        {
            Assert.Equal(time.GetUtcNow(), session.EstablishedSince);
            Assert.Equal(0, session.Flaps);
            time.Advance(TimeSpan.FromSeconds(2));
            await peer.SendAsync(NotificationMessage.Cease(CeaseSubcode.AdministrativeShutdown, "maintenance"));
            Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Idle, Bound));
            Assert.Null(session.EstablishedSince);
            Assert.Equal(1, session.Flaps);
            var received = session.LastNotificationReceived;
            Assert.NotNull(received);
            Assert.Equal(time.GetUtcNow(), received.Time);
            Assert.True(received.Message.TryGetShutdownCommunication(out var text));
            Assert.Equal("maintenance", text);
            Assert.Null(session.LastNotificationSent);
        }
    }

    [Fact]
    public async Task The_notification_we_send_is_kept_apart_from_one_received()
    {
        var (session, peer, time) = await EstablishAsync();
        await using (session)
        using (peer)
        {
            time.Advance(TimeSpan.FromSeconds(10)); // silent peer: hold timer expires, we send the NOTIFICATION
            Assert.True(SpinWait.SpinUntil(() => session.State == BgpState.Idle, Bound));
            Assert.Equal(BgpErrorCode.HoldTimerExpired, session.LastNotificationSent?.Message.Code);
            Assert.Null(session.LastNotificationReceived);
            Assert.Equal(1, session.Flaps);
        }
    }

    [Fact]
    public async Task A_refresh_out_sends_every_route_again_on_the_established_session()
    {
        var route = new BgpLb.BgpSpeaker.Rib.Route(IpPrefix.Parse("198.18.0.1/32"));
        var (session, peer, _) = await EstablishAsync(beforeStart: s => s.SetRoutes([route]));
        await using (session)
        using (peer)
        {
            var first = Assert.IsType<UpdateMessage>(await peer.ReceiveAsync(skipKeepalives: true));
            Assert.Equal([new Nlri(route.Prefix)], first.Nlri.ToArray());
            Assert.IsType<UpdateMessage>(await peer.ReceiveAsync(skipKeepalives: true)); // End-of-RIB
            var sent = session.UpdatesSent;
            Assert.True(await session.RefreshOutAsync(CancellationToken.None));
            var again = Assert.IsType<UpdateMessage>(await peer.ReceiveAsync(skipKeepalives: true));
            Assert.Equal([new Nlri(route.Prefix)], again.Nlri.ToArray());
            Assert.True(session.UpdatesSent > sent);
            Assert.Equal(BgpState.Established, session.State);
        }
    }
}
