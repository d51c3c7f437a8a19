using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Fsm;

/// <summary>Every (state, event) cell of RFC 4271 §8.2.2: the state it leads to, and what must be sent.</summary>
public sealed class FsmTableTests
{
    internal static readonly PeerOptions Options = new()
    {
        LocalAsn = 64512,
        PeerAsn = PeerAsn.Of(64513),
        RouterId = 0xC0000201,
        HoldTime = 90,
    };

    internal static readonly OpenMessage PeerOpen = OpenMessage.Create(64513, 90, 0xC0000202,
        new MultiprotocolCapability(AfiSafi.IPv4Unicast), new FourOctetAsnCapability(64513), new RouteRefreshCapability());

    /// <summary>One representative of each RFC 4271 §8.1 event the speaker can see.</summary>
    internal static readonly Dictionary<int, BgpEvent> Events = new()
    {
        [1] = new StartRequested(false, false),
        [2] = new StopRequested(false),
        [3] = new StartRequested(true, false),
        [4] = new StartRequested(false, true),
        [5] = new StartRequested(true, true),
        [8] = new StopRequested(true),
        [9] = new TimerExpired(BgpTimer.ConnectRetry),
        [10] = new TimerExpired(BgpTimer.Hold),
        [11] = new TimerExpired(BgpTimer.Keepalive),
        [12] = new TimerExpired(BgpTimer.DelayOpen),
        [13] = new TimerExpired(BgpTimer.IdleHold),
        [14] = new TcpConnectionRequest(true),
        [15] = new TcpConnectionRequest(false),
        [16] = new TcpConnected(true),
        [17] = new TcpConnected(false),
        [18] = new TcpConnectionFails("reset by peer"),
        [19] = new OpenReceived(PeerOpen),
        [21] = new MessageError(new BgpError(BgpErrorCode.MessageHeader, 2, new byte[] { 0, 18 }, ErrorAction.SessionReset, BgpErrorReason.MessageTooShort)),
        [22] = new MessageError(new BgpError(BgpErrorCode.Open, 0, default, ErrorAction.SessionReset, BgpErrorReason.CapabilityOverrun)),
        [23] = new OpenCollisionDump(),
        [24] = new NotificationReceived(new NotificationMessage(BgpErrorCode.Open, (byte)OpenSubcode.UnsupportedVersionNumber, new byte[] { 0, 4 })),
        [25] = new NotificationReceived(NotificationMessage.Cease(CeaseSubcode.AdministrativeReset)),
        [26] = KeepaliveReceived.Instance,
        [27] = new UpdateReceived(UpdateMessage.EndOfRib(AfiSafi.IPv4Unicast)),
        [28] = new MessageError(new BgpError(BgpErrorCode.Update, 1, default, ErrorAction.SessionReset, BgpErrorReason.WithdrawnLengthOverrun)),
    };

    /// <summary>The event sequence that brings a fresh FSM to a state.</summary>
    internal static PeerFsm In(BgpState state, PeerOptions? options = null)
    {
        var fsm = new PeerFsm(options ?? Options, new Random(1));
        BgpEvent[] path = state switch
        {
            BgpState.Idle => [],
            BgpState.Connect => [Events[1]],
            // Active after a failed connection (§8.2.2 OpenSent, event 18), not by a passive start:
            // a passive FSM waits in Active for good (PeerFsmTests), where the table's event 9 connects.
            BgpState.Active => [Events[1], Events[16], Events[18]],
            BgpState.OpenSent => [Events[1], Events[16]],
            BgpState.OpenConfirm => [Events[1], Events[16], Events[19]],
            _ => [Events[1], Events[16], Events[19], Events[26]],
        };
        foreach (var e in path)
        {
            fsm.Handle(e);
        }
        Assert.Equal(state, fsm.State);
        return fsm;
    }

    private const BgpState I = BgpState.Idle, C = BgpState.Connect, A = BgpState.Active, S = BgpState.OpenSent, O = BgpState.OpenConfirm, E = BgpState.Established;

    /// <summary>Rows: RFC event number; columns: Idle, Connect, Active, OpenSent, OpenConfirm, Established.</summary>
    private static readonly Dictionary<int, BgpState[]> Expected = new()
    {
        [1] = [C, C, A, S, O, E],
        [2] = [I, I, I, I, I, I],
        [3] = [C, C, A, S, O, E],
        [4] = [A, C, A, S, O, E],
        [5] = [A, C, A, S, O, E],
        [8] = [I, I, I, I, I, I],
        [9] = [I, C, C, I, I, I],
        [10] = [I, I, I, I, I, I],
        [11] = [I, I, I, I, O, E],
        [12] = [I, S, S, I, I, I],
        [13] = [I, I, I, I, I, I],
        [14] = [I, C, A, S, O, E],
        [15] = [I, C, A, S, O, E],
        [16] = [I, S, S, S, O, E],
        [17] = [I, S, S, S, O, E],
        [18] = [I, I, I, A, I, I],
        [19] = [I, I, I, O, I, I],
        [21] = [I, I, I, I, I, I],
        [22] = [I, I, I, I, I, I],
        [23] = [I, I, I, I, I, I],
        [24] = [I, I, I, I, I, I],
        [25] = [I, I, I, I, I, I],
        [26] = [I, I, I, I, E, E],
        [27] = [I, I, I, I, I, E],
        [28] = [I, I, I, I, I, I],
    };

    public static TheoryData<BgpState, int> Cells()
    {
        var data = new TheoryData<BgpState, int>();
        foreach (var state in Enum.GetValues<BgpState>())
        {
            foreach (var number in Expected.Keys)
            {
                data.Add(state, number);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Every_state_and_event_leads_where_rfc4271_section_8_2_2_says(BgpState state, int eventNumber)
    {
        var fsm = In(state);
        var transition = fsm.Handle(Events[eventNumber]);
        var expected = Expected[eventNumber][(int)state];
        Assert.Equal(expected, transition.To);
        Assert.Equal(expected, fsm.State);
        var sent = transition.Actions.OfType<Send>().Select(s => s.Message).ToList();

        if (expected == BgpState.Idle && state != BgpState.Idle)
        {
            // Leaving for Idle: every timer stopped and the connection dropped, always.
            foreach (var timer in new[] { BgpTimer.ConnectRetry, BgpTimer.Hold, BgpTimer.Keepalive, BgpTimer.DelayOpen })
            {
                Assert.Contains(new StopTimer(timer), transition.Actions);
            }
            Assert.Contains(DropConnection.Instance, transition.Actions);
            var down = Assert.Single(transition.Actions.OfType<SessionDown>());
            Assert.Equal(state == BgpState.Established, down.WasEstablished);
            // A NOTIFICATION is never answered with one (RFC 4271 §6), and never sent before our OPEN
            // except for the errors SendNOTIFICATIONwithoutOPEN covers and a Cease.
            if (eventNumber is 24 or 25 or 18)
            {
                Assert.Empty(sent.OfType<NotificationMessage>());
            }
        }
        if (state == BgpState.Idle)
        {
            Assert.DoesNotContain(transition.Actions, a => a is Send);
        }
        if (expected == BgpState.OpenSent && state != BgpState.OpenSent)
        {
            Assert.IsType<OpenMessage>(Assert.Single(sent));
            Assert.Contains(new StartTimer(BgpTimer.Hold, PeerOptions.OpenHoldTime), transition.Actions);
        }
        if (expected == BgpState.Established && state == BgpState.OpenConfirm)
        {
            Assert.Single(transition.Actions.OfType<SessionUp>());
        }
        // Notifications sent carry the RFC's codes for each cause.
        var notification = sent.OfType<NotificationMessage>().SingleOrDefault();
        var expectedCode = (state, eventNumber) switch
        {
            (BgpState.Connect or BgpState.Active, 21) => BgpErrorCode.MessageHeader,
            (BgpState.Connect or BgpState.Active, 22) => BgpErrorCode.Open,
            (BgpState.OpenSent or BgpState.OpenConfirm or BgpState.Established, 2 or 8 or 23) => BgpErrorCode.Cease,
            (BgpState.OpenSent or BgpState.OpenConfirm or BgpState.Established, 10) => BgpErrorCode.HoldTimerExpired,
            (BgpState.OpenSent or BgpState.OpenConfirm or BgpState.Established, 21) => BgpErrorCode.MessageHeader,
            (BgpState.OpenSent or BgpState.OpenConfirm, 22) => BgpErrorCode.Open,
            (BgpState.Established, 28) => BgpErrorCode.Update,
            (BgpState.OpenSent, 9 or 11 or 12 or 13 or 26 or 27 or 28) => BgpErrorCode.FsmError,
            (BgpState.OpenConfirm, 9 or 12 or 13 or 19 or 27 or 28) => BgpErrorCode.FsmError,
            (BgpState.Established, 9 or 12 or 13 or 19 or 22) => BgpErrorCode.FsmError,
            _ => (BgpErrorCode?)null,
        };
        Assert.Equal(expectedCode, notification?.Code);
    }

    [Theory]
    [InlineData(BgpState.OpenSent, 26, FsmSubcode.UnexpectedMessageInOpenSent)]
    [InlineData(BgpState.OpenConfirm, 27, FsmSubcode.UnexpectedMessageInOpenConfirm)]
    [InlineData(BgpState.Established, 19, FsmSubcode.UnexpectedMessageInEstablished)]
    [InlineData(BgpState.Established, 13, FsmSubcode.Unspecified)]
    public void Unexpected_messages_get_the_rfc6608_subcode_of_the_state(BgpState state, int eventNumber, FsmSubcode subcode)
    {
        var transition = In(state).Handle(Events[eventNumber]);
        var notification = Assert.Single(transition.Actions.OfType<Send>().Select(s => s.Message).OfType<NotificationMessage>());
        Assert.Equal(BgpErrorCode.FsmError, notification.Code);
        Assert.Equal((byte)subcode, notification.Subcode);
    }
}
