using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;
using CsCheck;
using Xunit;
using static BgpLb.BgpSpeaker.Tests.Fsm.FsmTableTests;

namespace BgpLb.BgpSpeaker.Tests.Fsm;

public sealed class PeerFsmTests
{
    private static NotificationMessage? SentNotification(Transition t) =>
        t.Actions.OfType<Send>().Select(s => s.Message).OfType<NotificationMessage>().SingleOrDefault();

    [Fact]
    public void Negotiation_takes_the_smaller_hold_time_and_a_third_of_it_as_keepalive()
    {
        var fsm = In(BgpState.OpenSent);
        var t = fsm.Handle(new OpenReceived(PeerOpen with { HoldTime = 30 }));
        Assert.Equal(BgpState.OpenConfirm, t.To);
        Assert.Contains(new StartTimer(BgpTimer.Hold, TimeSpan.FromSeconds(30)), t.Actions);
        var keepalive = Assert.Single(t.Actions.OfType<StartTimer>(), a => a.Timer == BgpTimer.Keepalive);
        Assert.InRange(keepalive.After, TimeSpan.FromSeconds(7.5), TimeSpan.FromSeconds(10)); // 10 s jittered by [0.75, 1] (RFC 4271 §10)
        var up = Assert.Single(fsm.Handle(KeepaliveReceived.Instance).Actions.OfType<SessionUp>()).Session;
        Assert.Equal(TimeSpan.FromSeconds(30), up.HoldTime);
        Assert.True(up.Codec.FourOctetAsn);
        Assert.True(up.IsExternal);
        Assert.True(up.RouteRefresh);
        Assert.Equal(new[] { AfiSafi.IPv4Unicast }, up.Families); // the peer offered IPv4 only
        Assert.Equal(BgpHeader.MaxMessageLength, up.Codec.MaxMessageLength); // no Extended Message from the peer
    }

    [Fact]
    public void Hold_time_zero_runs_no_keepalive_or_hold_timer()
    {
        var fsm = In(BgpState.OpenSent);
        var t = fsm.Handle(new OpenReceived(PeerOpen with { HoldTime = 0 }));
        Assert.DoesNotContain(t.Actions, a => a is StartTimer { Timer: BgpTimer.Hold or BgpTimer.Keepalive });
        Assert.DoesNotContain(fsm.Handle(KeepaliveReceived.Instance).Actions, a => a is StartTimer);
    }

    [Fact]
    public void A_peer_without_multiprotocol_capabilities_speaks_ipv4_unicast_only()
    {
        var fsm = In(BgpState.OpenSent);
        fsm.Handle(new OpenReceived(OpenMessage.Create(64513, 90, 0xC0000202)));
        var up = Assert.Single(fsm.Handle(KeepaliveReceived.Instance).Actions.OfType<SessionUp>()).Session;
        Assert.Equal(new[] { AfiSafi.IPv4Unicast }, up.Families);
        Assert.False(up.Codec.FourOctetAsn); // RFC 6793: 2-octet session, AS4_PATH applies
    }

    [Theory]
    [InlineData(64999u, 90, 0xC0000202u, OpenSubcode.BadPeerAs)]
    [InlineData(64513u, 2, 0xC0000202u, OpenSubcode.UnacceptableHoldTime)]
    [InlineData(64513u, 1, 0xC0000202u, OpenSubcode.UnacceptableHoldTime)]
    [InlineData(64513u, 90, 0u, OpenSubcode.BadBgpIdentifier)]
    public void An_unacceptable_open_is_refused_with_the_open_error_subcode(uint asn, int hold, uint identifier, OpenSubcode subcode)
    {
        var t = In(BgpState.OpenSent).Handle(new OpenReceived(OpenMessage.Create(asn, (ushort)hold, identifier, new FourOctetAsnCapability(asn))));
        Assert.Equal(BgpState.Idle, t.To);
        var notification = SentNotification(t)!;
        Assert.Equal(BgpErrorCode.Open, notification.Code);
        Assert.Equal((byte)subcode, notification.Subcode);
    }

    [Fact]
    public void Four_octet_peer_asn_is_checked_against_the_capability_not_as_trans()
    {
        var options = Options with { PeerAsn = PeerAsn.Of(4200000001) };
        var fsm = In(BgpState.OpenSent, options);
        var t = fsm.Handle(new OpenReceived(OpenMessage.Create(4200000001, 90, 0xC0000202, new FourOctetAsnCapability(4200000001))));
        Assert.Equal(BgpState.OpenConfirm, t.To);
    }

    [Fact]
    public void Dynamic_internal_peer_must_share_our_as_and_not_our_identifier()
    {
        var options = Options with { PeerAsn = PeerAsn.Internal };
        Assert.Equal(BgpState.OpenConfirm, In(BgpState.OpenSent, options).Handle(new OpenReceived(OpenMessage.Create(64512, 90, 0xC0000202))).To);
        var external = In(BgpState.OpenSent, options).Handle(new OpenReceived(OpenMessage.Create(64513, 90, 0xC0000202)));
        Assert.Equal((byte)OpenSubcode.BadPeerAs, SentNotification(external)!.Subcode);
        var sameId = In(BgpState.OpenSent, options).Handle(new OpenReceived(OpenMessage.Create(64512, 90, Options.RouterId)));
        Assert.Equal((byte)OpenSubcode.BadBgpIdentifier, SentNotification(sameId)!.Subcode);
    }

    [Fact]
    public void Dynamic_external_peer_may_use_our_identifier_but_not_our_as()
    {
        var options = Options with { PeerAsn = PeerAsn.External };
        Assert.Equal(BgpState.OpenConfirm, In(BgpState.OpenSent, options).Handle(new OpenReceived(OpenMessage.Create(64999, 90, Options.RouterId))).To);
        var internalAs = In(BgpState.OpenSent, options).Handle(new OpenReceived(OpenMessage.Create(64512, 90, 0xC0000202)));
        Assert.Equal((byte)OpenSubcode.BadPeerAs, SentNotification(internalAs)!.Subcode);
    }

    [Fact]
    public void Our_open_advertises_what_we_negotiate()
    {
        var open = (Options with { GracefulRestartTime = 120, AddPathSend = AddPathFamilies.IPv4Unicast }).BuildOpen();
        Assert.Equal(64512u, open.Asn);
        Assert.Contains(new MultiprotocolCapability(AfiSafi.IPv6Unicast), open.Capabilities);
        Assert.Contains(new ExtendedMessageCapability(), open.Capabilities);
        var gr = open.Find<GracefulRestartCapability>()!;
        Assert.Equal(120, gr.RestartTime);
        Assert.All(gr.Families, f => Assert.True(f.ForwardingStatePreserved));
        Assert.False(gr.RestartState);
        Assert.Equal(AddPathMode.Send, Assert.Single(open.Find<AddPathCapability>()!.Families).Mode);
    }

    [Fact]
    public void After_a_restart_our_graceful_restart_capability_carries_the_restart_state_bit()
    {
        var open = (Options with { GracefulRestartTime = 120, Restarted = true }).BuildOpen();
        var gr = open.Find<GracefulRestartCapability>()!;
        Assert.True(gr.RestartState);
        // RFC 4724 §3: the R bit is the top bit of the 16-bit Restart Flags / Restart Time field, the
        // RFC 8538 N bit the next: 0x8000 | 0x4000 | 120.
        var bytes = Convert.ToHexString(MessageWriter.ToArray(open, CodecOptions.Default));
        Assert.Matches("40[0-9A-F]{2}C078", bytes); // capability code 64, its length, then the flags and time
    }

    [Fact]
    public void Our_graceful_restart_capability_carries_the_notification_bit()
    {
        var bytes = Convert.ToHexString(MessageWriter.ToArray((Options with { GracefulRestartTime = 120 }).BuildOpen(), CodecOptions.Default));
        Assert.Matches("40[0-9A-F]{2}4078", bytes); // RFC 8538 §2: N (0x4000) without R, restart time 120
    }

    private static readonly OpenMessage PeerOpenWithNotificationGr = OpenMessage.Create(64513, 90, 0xC0000202,
        new MultiprotocolCapability(AfiSafi.IPv4Unicast), new FourOctetAsnCapability(64513),
        new GracefulRestartCapability(false, true, 120, new[] { new GracefulRestartFamily(AfiSafi.IPv4Unicast, true) }));

    private static PeerFsm EstablishedWith(OpenMessage peerOpen)
    {
        var fsm = new PeerFsm(Options with { GracefulRestartTime = 120 }, new Random(1));
        fsm.Handle(Events[1]);
        fsm.Handle(Events[16]);
        fsm.Handle(new OpenReceived(peerOpen));
        Assert.Equal(BgpState.Established, fsm.Handle(KeepaliveReceived.Instance).To);
        return fsm;
    }

    [Fact]
    public void With_the_notification_bit_negotiated_a_deconfigured_peer_gets_a_hard_reset()
    {
        var t = EstablishedWith(PeerOpenWithNotificationGr).Handle(new StopRequested(false, CeaseSubcode.PeerDeconfigured));
        var notification = SentNotification(t)!;
        // RFC 8538 §3: Cease / Hard Reset (9), its data the wrapped Cease (6) / Peer De-configured (3).
        Assert.Equal("06090603", Convert.ToHexString(MessageWriter.ToArray(notification, CodecOptions.Default).AsSpan(BgpHeader.Length)));
    }

    [Fact]
    public void With_the_notification_bit_negotiated_a_shutdown_stays_a_plain_cease_so_the_peer_keeps_our_routes()
    {
        var t = EstablishedWith(PeerOpenWithNotificationGr).Handle(new StopRequested(false, CeaseSubcode.AdministrativeShutdown, "restarting"));
        var notification = SentNotification(t)!;
        Assert.Equal((byte)CeaseSubcode.AdministrativeShutdown, notification.Subcode);
        Assert.True(notification.TryGetShutdownCommunication(out var text));
        Assert.Equal("restarting", text);
    }

    [Fact]
    public void Without_the_peers_notification_bit_a_deconfigured_peer_gets_a_plain_cease()
    {
        var t = EstablishedWith(PeerOpen).Handle(new StopRequested(false, CeaseSubcode.PeerDeconfigured));
        Assert.Equal((byte)CeaseSubcode.PeerDeconfigured, SentNotification(t)!.Subcode);
    }

    [Fact]
    public void Administrative_stop_sends_cease_with_the_shutdown_communication_and_stays_down()
    {
        var fsm = In(BgpState.Established);
        var t = fsm.Handle(new StopRequested(false, CeaseSubcode.AdministrativeShutdown, "maintenance window"));
        var notification = SentNotification(t)!;
        Assert.True(notification.TryGetShutdownCommunication(out var text));
        Assert.Equal("maintenance window", text);
        Assert.Equal(DownReason.AdministrativeStop, Assert.Single(t.Actions.OfType<SessionDown>()).Reason);
        Assert.DoesNotContain(t.Actions, a => a is StartTimer { Timer: BgpTimer.IdleHold });
        Assert.Equal(0, fsm.ConnectRetryCounter);
    }

    [Fact]
    public void Hold_timer_expiry_in_established_notifies_and_drops_the_routes()
    {
        var t = In(BgpState.Established).Handle(new TimerExpired(BgpTimer.Hold));
        Assert.Equal(BgpErrorCode.HoldTimerExpired, SentNotification(t)!.Code);
        var down = Assert.Single(t.Actions.OfType<SessionDown>());
        Assert.True(down.WasEstablished);
        Assert.Equal(DownReason.HoldTimerExpired, down.Reason);
    }

    [Fact]
    public void Failures_back_off_exponentially_with_jitter_up_to_the_cap()
    {
        var fsm = new PeerFsm(Options with { ConnectRetryTime = TimeSpan.FromSeconds(5), MaxConnectRetryTime = TimeSpan.FromSeconds(60) }, new Random(7));
        fsm.Handle(new StartRequested(true, false));
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            var t = fsm.Handle(new TcpConnectionFails("refused"));
            delays.Add(Assert.Single(t.Actions.OfType<StartTimer>(), a => a.Timer == BgpTimer.IdleHold).After);
            Assert.Equal(BgpState.Connect, fsm.Handle(new TimerExpired(BgpTimer.IdleHold)).To);
        }
        double[] nominal = [5, 10, 20, 40, 60, 60];
        for (var i = 0; i < nominal.Length; i++)
        {
            Assert.InRange(delays[i].TotalSeconds, nominal[i] * 0.75, nominal[i]);
        }
        // Established resets the count: the next failure waits the base time again.
        fsm.Handle(new TcpConnected(true));
        fsm.Handle(new OpenReceived(PeerOpen));
        fsm.Handle(KeepaliveReceived.Instance);
        var after = fsm.Handle(new TcpConnectionFails("reset"));
        Assert.InRange(Assert.Single(after.Actions.OfType<StartTimer>(), a => a.Timer == BgpTimer.IdleHold).After.TotalSeconds, 3.75, 5);
    }

    [Fact]
    public void A_stop_while_waiting_to_restart_cancels_the_restart()
    {
        var fsm = new PeerFsm(Options, new Random(1));
        fsm.Handle(new StartRequested(true, false));
        fsm.Handle(new TcpConnectionFails("refused"));
        var stop = fsm.Handle(new StopRequested(false));
        Assert.Contains(new StopTimer(BgpTimer.IdleHold), stop.Actions);
        Assert.Empty(fsm.Handle(new TimerExpired(BgpTimer.IdleHold)).Actions);
        Assert.Equal(BgpState.Idle, fsm.State);
    }

    [Fact]
    public void Passive_start_listens_without_connecting()
    {
        var t = new PeerFsm(Options, new Random(1)).Handle(new StartRequested(false, true));
        Assert.Equal(BgpState.Active, t.To);
        Assert.Contains(ListenForConnection.Instance, t.Actions);
        Assert.DoesNotContain(InitiateConnection.Instance, t.Actions);
    }

    [Fact]
    public void Passive_peer_never_connects_out_when_the_connect_retry_timer_expires()
    {
        var fsm = new PeerFsm(Options, new Random(1));
        fsm.Handle(new StartRequested(false, true));
        for (var i = 0; i < 3; i++)
        {
            var t = fsm.Handle(new TimerExpired(BgpTimer.ConnectRetry));
            Assert.Equal(BgpState.Active, t.To);
            Assert.DoesNotContain(InitiateConnection.Instance, t.Actions);
            Assert.Contains(t.Actions, a => a is StartTimer { Timer: BgpTimer.ConnectRetry });
        }
        var active = new PeerFsm(Options, new Random(1));
        active.Handle(new StartRequested(false, false));
        active.Handle(new TcpConnected(true));
        Assert.Equal(BgpState.Active, active.Handle(new TcpConnectionFails("reset")).To); // from OpenSent (§8.2.2 event 18)
        Assert.Contains(InitiateConnection.Instance, active.Handle(new TimerExpired(BgpTimer.ConnectRetry)).Actions);
    }

    [Fact]
    public void Delay_open_waits_for_the_peer_and_answers_its_open_with_open_then_keepalive()
    {
        var options = Options with { DelayOpenTime = TimeSpan.FromSeconds(2) };
        var fsm = new PeerFsm(options, new Random(1));
        fsm.Handle(new StartRequested(false, false));
        var connected = fsm.Handle(new TcpConnected(true));
        Assert.Equal(BgpState.Connect, connected.To);
        Assert.Contains(new StartTimer(BgpTimer.DelayOpen, TimeSpan.FromSeconds(2)), connected.Actions);
        Assert.DoesNotContain(connected.Actions, a => a is Send);
        var t = fsm.Handle(new OpenReceived(PeerOpen)); // event 20
        Assert.Equal(BgpState.OpenConfirm, t.To);
        var sent = t.Actions.OfType<Send>().Select(s => s.Message).ToList();
        Assert.IsType<OpenMessage>(sent[0]);
        Assert.IsType<KeepaliveMessage>(sent[1]);
        Assert.Contains(new StopTimer(BgpTimer.DelayOpen), t.Actions);
    }

    [Fact]
    public void Delay_open_expiry_sends_our_open()
    {
        var fsm = new PeerFsm(Options with { DelayOpenTime = TimeSpan.FromSeconds(2) }, new Random(1));
        fsm.Handle(new StartRequested(false, false));
        fsm.Handle(new TcpConnected(true));
        var t = fsm.Handle(new TimerExpired(BgpTimer.DelayOpen));
        Assert.Equal(BgpState.OpenSent, t.To);
        Assert.IsType<OpenMessage>(Assert.Single(t.Actions.OfType<Send>()).Message);
    }

    [Fact]
    public void Updates_in_established_restart_the_hold_timer_and_reach_the_rib()
    {
        var update = new UpdateReceived(UpdateMessage.EndOfRib(AfiSafi.IPv4Unicast));
        var t = In(BgpState.Established).Handle(update);
        Assert.Contains(new StartTimer(BgpTimer.Hold, TimeSpan.FromSeconds(90)), t.Actions);
        Assert.Equal(update, Assert.Single(t.Actions.OfType<Deliver>()).Message);
    }

    /// <summary>Random event sequences: never an exception, and the invariants of every state hold.</summary>
    [Fact]
    public void Random_event_sequences_keep_the_fsm_invariants()
    {
        var numbers = Events.Keys.ToArray();
        Gen.Select(Gen.Int[0, numbers.Length - 1].Array[1, 60], Gen.Bool, Gen.Int, (seq, delay, seed) => (seq, delay, seed)).Sample(x =>
        {
            var options = x.delay ? Options with { DelayOpenTime = TimeSpan.FromSeconds(1) } : Options;
            var fsm = new PeerFsm(options, new Random(x.seed));
            foreach (var index in x.seq)
            {
                var t = fsm.Handle(Events[numbers[index]]);
                Assert.Equal(t.To, fsm.State);
                foreach (var action in t.Actions)
                {
                    switch (action)
                    {
                        // Keepalive timer runs only once OPENs are exchanged.
                        case StartTimer { Timer: BgpTimer.Keepalive }:
                            Assert.True(t.To is BgpState.OpenConfirm or BgpState.Established, $"keepalive timer in {t.To}");
                            break;
                        // The restart back-off only from Idle.
                        case StartTimer { Timer: BgpTimer.IdleHold }:
                            Assert.Equal(BgpState.Idle, t.To);
                            break;
                        case StartTimer { Timer: BgpTimer.Hold }:
                            Assert.True(t.To is BgpState.OpenSent or BgpState.OpenConfirm or BgpState.Established, $"hold timer in {t.To}");
                            break;
                        // The FSM itself never sends UPDATEs; KEEPALIVEs only once OPENs are exchanged.
                        case Send { Message: UpdateMessage }:
                            Assert.Fail("UPDATE sent by the FSM");
                            break;
                        case Send { Message: KeepaliveMessage }:
                            Assert.True(t.To is BgpState.OpenConfirm or BgpState.Established, $"KEEPALIVE in {t.To}");
                            break;
                        case SessionUp:
                            Assert.Equal(BgpState.Established, t.To);
                            Assert.Equal(BgpState.OpenConfirm, t.From);
                            break;
                    }
                }
                Assert.Equal(fsm.State == BgpState.Established, fsm.Session is not null);
                Assert.True(fsm.ConnectRetryCounter >= 0);
            }
        }, iter: 3000);
    }
}
