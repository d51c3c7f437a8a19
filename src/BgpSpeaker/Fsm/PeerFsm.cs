using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Fsm;

/// <summary>
/// The RFC 4271 §8 finite state machine of one BGP connection. Pure: (state, event) → (state,
/// actions). It owns no socket, timer or clock: the transport starts the timers it asks for
/// (with its <see cref="TimeProvider"/>) and feeds their expiry back as events. Jitter comes from
/// the injected <see cref="Random"/> (RFC 4271 §10).
/// Connection collisions (§6.8) are resolved above it, one FSM per connection: the loser gets
/// <see cref="OpenCollisionDump"/>. §8 allows "one FSM for each incoming TCP connection for
/// which the peer has not yet been identified": the session starts one passively for such a
/// connection and, if it wins, <see cref="Adopt"/>s it as the peer's own.
/// </summary>
public sealed class PeerFsm
{
    private readonly PeerOptions _options;
    private readonly Random _random;
    private readonly List<BgpAction> _actions = [];
    private bool _delayOpenRunning;
    private bool _started;
    private bool _passive;

    public PeerFsm(PeerOptions options, Random random)
    {
        _options = options;
        _random = random;
    }

    public BgpState State { get; private set; } = BgpState.Idle;

    /// <summary>RFC 4271 §8: failed attempts since the last Established or stop; drives back-off.</summary>
    public int ConnectRetryCounter { get; private set; }

    /// <summary>Set once Established; null otherwise.</summary>
    public NegotiatedSession? Session { get; private set; }

    /// <summary>The peer's OPEN once received and accepted (OpenConfirm, Established).</summary>
    private NegotiatedSession? _pending;

    /// <summary>
    /// This FSM, started passively for an incoming connection that won the collision (§6.8), now
    /// stands for the configured peering: a later automatic restart connects as the peer is
    /// configured (actively unless <paramref name="passive"/>), not passively as it was started.
    /// </summary>
    public void Adopt(bool passive)
    {
        if (!_started)
        {
            throw new InvalidOperationException("Only a started FSM can be adopted for the peering.");
        }
        _passive = passive;
    }

    public Transition Handle(BgpEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _actions.Clear();
        var from = State;
        State = State switch
        {
            BgpState.Idle => InIdle(e),
            BgpState.Connect => InConnectOrActive(e, active: false),
            BgpState.Active => InConnectOrActive(e, active: true),
            BgpState.OpenSent => InOpenSent(e),
            BgpState.OpenConfirm => InOpenConfirm(e),
            _ => InEstablished(e),
        };
        return new Transition(from, State, _actions.ToArray());
    }

    // ---- Idle (RFC 4271 §8.2.2) ----

    private BgpState InIdle(BgpEvent e)
    {
        switch (e)
        {
            // Events 1, 3: start the ConnectRetryTimer and connect. Events 4, 5: listen only.
            case StartRequested start:
                _started = true;
                return StartConnecting(start.Passive);
            // Event 13: the back-off after a failure is over: automatic restart, as we last started.
            case TimerExpired { Timer: BgpTimer.IdleHold } when _started:
                return StartConnecting(_passive);
            // RFC 4271 ignores a stop in Idle; but our restart back-off may be pending: cancel it.
            case StopRequested:
                _started = false;
                _actions.Add(new StopTimer(BgpTimer.IdleHold));
                return BgpState.Idle;
            // An inbound connection while Idle is refused (§8.2.2: Idle refuses connections).
            case TcpConnected:
                _actions.Add(DropConnection.Instance);
                return BgpState.Idle;
            // "Any other event ... does not cause change in the state of the local system."
            default:
                return BgpState.Idle;
        }
    }

    private BgpState StartConnecting(bool passive)
    {
        _passive = passive;
        _actions.Add(new StartTimer(BgpTimer.ConnectRetry, Jitter(_options.ConnectRetryTime)));
        if (passive)
        {
            _actions.Add(ListenForConnection.Instance);
            return BgpState.Active;
        }
        _actions.Add(InitiateConnection.Instance);
        return BgpState.Connect;
    }

    // ---- Connect and Active: waiting for TCP ----

    private BgpState InConnectOrActive(BgpEvent e, bool active)
    {
        var here = active ? BgpState.Active : BgpState.Connect;
        switch (e)
        {
            case StartRequested:
                return here; // events 1, 3–5 are ignored
            case StopRequested stop when !stop.Automatic:
                // Event 2 (Active with DelayOpen running MAY send a Cease first: we do, so the peer learns why).
                return Idle(DownReason.AdministrativeStop, _delayOpenRunning ? Cease(stop) : null, countFailure: false, resetCounter: true);
            case TimerExpired { Timer: BgpTimer.ConnectRetry } when active && _passive:
                // Event 9 in Active would connect (§8.2.2), but a peering started with
                // PassiveTcpEstablishment "will passively wait for the remote BGP peer to establish
                // the BGP TCP connection" (§8.1.1), as BIRD's and FRR's passive peers do: keep listening.
                _actions.Add(new StartTimer(BgpTimer.ConnectRetry, Jitter(_options.ConnectRetryTime)));
                return BgpState.Active;
            case TimerExpired { Timer: BgpTimer.ConnectRetry }:
                // Event 9: Connect drops and retries; Active stops listening passively and connects.
                if (!active)
                {
                    _actions.Add(DropConnection.Instance);
                }
                _actions.Add(new StartTimer(BgpTimer.ConnectRetry, Jitter(_options.ConnectRetryTime)));
                StopDelayOpen();
                _actions.Add(InitiateConnection.Instance);
                return BgpState.Connect;
            case TimerExpired { Timer: BgpTimer.DelayOpen }:
                // Event 12: send our OPEN, wait for theirs with a large Hold Timer.
                _actions.Add(new StopTimer(BgpTimer.ConnectRetry));
                _delayOpenRunning = false;
                return SendOpen();
            case TcpConnectionRequest:
                return here; // events 14, 15: the transport accepts or rejects; no state change
            case TcpConnected:
                // Events 16, 17.
                _actions.Add(new StopTimer(BgpTimer.ConnectRetry));
                if (_options.DelayOpenTime is { } delay)
                {
                    _delayOpenRunning = true;
                    _actions.Add(new StartTimer(BgpTimer.DelayOpen, delay));
                    return here;
                }
                return SendOpen();
            case TcpConnectionFails failure:
                // Event 18: with DelayOpen running, fall back to listening (Active); otherwise Idle.
                if (_delayOpenRunning)
                {
                    StopDelayOpen();
                    _actions.Add(new StartTimer(BgpTimer.ConnectRetry, Jitter(_options.ConnectRetryTime)));
                    _actions.Add(ListenForConnection.Instance);
                    return BgpState.Active;
                }
                return Idle(DownReason.ConnectionFailed, null, countFailure: true);
            case OpenReceived open when _delayOpenRunning:
                // Event 20: OPEN while DelayOpen runs: answer with OPEN and KEEPALIVE at once.
                _actions.Add(new StopTimer(BgpTimer.ConnectRetry));
                StopDelayOpen();
                return AcceptOpen(open.Open, sendOpenFirst: true);
            case MessageError error when error.Number is 21 or 22:
                // Events 21, 22: SendNOTIFICATIONwithoutOPEN is on, so the peer learns why.
                return Idle(error.Error.Code == BgpErrorCode.Open ? DownReason.OpenMessageError : DownReason.MessageHeaderError,
                    NotificationMessage.For(error.Error), countFailure: true);
            case NotificationReceived { IsVersionError: true } n:
                // Event 24: no penalty when it only tells us the version (§8.2.2).
                return Idle(DownReason.VersionNotificationReceived, n.Notification, countFailure: !_delayOpenRunning, received: true);
            default:
                // Events 8, 10, 11, 13, 19 (without DelayOpen), 23, 25–28.
                return Idle(Reason(e), e is NotificationReceived n2 ? n2.Notification : null, countFailure: true, received: e is NotificationReceived);
        }
    }

    // ---- OpenSent: our OPEN is out, waiting for theirs ----

    private BgpState InOpenSent(BgpEvent e)
    {
        if (AfterOpenSent(e) is { } next)
        {
            return next;
        }
        switch (e)
        {
            case TcpConnectionFails:
                // Event 18: close, restart ConnectRetry, listen (Active).
                _actions.Add(DropConnection.Instance);
                _actions.Add(new StopTimer(BgpTimer.Hold));
                _actions.Add(new StartTimer(BgpTimer.ConnectRetry, Jitter(_options.ConnectRetryTime)));
                _actions.Add(ListenForConnection.Instance);
                return BgpState.Active;
            case OpenReceived open:
                // Event 19.
                _actions.Add(new StopTimer(BgpTimer.ConnectRetry));
                return AcceptOpen(open.Open, sendOpenFirst: false);
            case MessageError { Number: 22 } error:
                return Idle(DownReason.OpenMessageError, NotificationMessage.For(error.Error), countFailure: true);
            case NotificationReceived { IsVersionError: true } n:
                return Idle(DownReason.VersionNotificationReceived, n.Notification, countFailure: false, received: true);
            default:
                // Events 9, 11–13, 20, 25–28: FSM Error (RFC 6608 §4: unexpected message in OpenSent).
                return Unexpected(e, FsmSubcode.UnexpectedMessageInOpenSent);
        }
    }

    // ---- OpenConfirm: OPENs exchanged, waiting for the first KEEPALIVE ----

    private BgpState InOpenConfirm(BgpEvent e)
    {
        if (AfterOpenSent(e) is { } next)
        {
            return next;
        }
        switch (e)
        {
            case TimerExpired { Timer: BgpTimer.Keepalive }:
                SendKeepalive();
                return BgpState.OpenConfirm;
            case TcpConnectionFails:
                return Idle(DownReason.ConnectionFailed, null, countFailure: true);
            case NotificationReceived n:
                return Idle(n.IsVersionError ? DownReason.VersionNotificationReceived : DownReason.NotificationReceived, n.Notification, countFailure: !n.IsVersionError, received: true);
            case MessageError { Number: 22 } error:
                return Idle(DownReason.OpenMessageError, NotificationMessage.For(error.Error), countFailure: true);
            case KeepaliveReceived:
                // Event 26: Established.
                Session = _pending;
                _pending = null;
                ConnectRetryCounter = 0;
                RestartHold();
                _actions.Add(new SessionUp(Session!));
                return BgpState.Established;
            default:
                // Events 9, 12, 13, 19 (a second OPEN on this connection), 20, 27, 28.
                return Unexpected(e, FsmSubcode.UnexpectedMessageInOpenConfirm);
        }
    }

    // ---- Established ----

    private BgpState InEstablished(BgpEvent e)
    {
        if (AfterOpenSent(e) is { } next)
        {
            return next;
        }
        switch (e)
        {
            case TimerExpired { Timer: BgpTimer.Keepalive }:
                SendKeepalive();
                return BgpState.Established;
            case TcpConnectionFails:
                return Idle(DownReason.ConnectionFailed, null, countFailure: true);
            case NotificationReceived n:
                return Idle(n.IsVersionError ? DownReason.VersionNotificationReceived : DownReason.NotificationReceived, n.Notification, countFailure: true, received: true);
            case KeepaliveReceived:
                RestartHold();
                return BgpState.Established;
            case UpdateReceived or RouteRefreshReceived:
                // Event 27: every message restarts the Hold Timer (§4.4, §8.2.2).
                RestartHold();
                _actions.Add(new Deliver(e));
                return BgpState.Established;
            case MessageError { Number: 28 } error:
                return Idle(DownReason.UpdateMessageError, NotificationMessage.For(error.Error), countFailure: true);
            default:
                // Events 9, 12, 13, 19, 20, 22.
                return Unexpected(e, FsmSubcode.UnexpectedMessageInEstablished);
        }
    }

    /// <summary>
    /// Events that OpenSent, OpenConfirm and Established handle alike (RFC 4271 §8.2.2); null for
    /// the others.
    /// </summary>
    private BgpState? AfterOpenSent(BgpEvent e) => e switch
    {
        StartRequested => State, // events 1, 3–5 are ignored
        StopRequested stop => Idle(stop.Automatic ? DownReason.AutomaticStop : DownReason.AdministrativeStop, Cease(stop),
            countFailure: stop.Automatic, resetCounter: !stop.Automatic),
        TimerExpired { Timer: BgpTimer.Hold } =>
            Idle(DownReason.HoldTimerExpired, new NotificationMessage(BgpErrorCode.HoldTimerExpired, 0, default), countFailure: true),
        // Events 14, 16, 17: a second connection; the one we have stands (§6.8 resolution is above the FSM).
        TcpConnectionRequest or TcpConnected => State,
        OpenCollisionDump => Idle(DownReason.ConnectionCollision, NotificationMessage.Cease(CeaseSubcode.ConnectionCollisionResolution), countFailure: true),
        MessageError { Number: 21 } error => Idle(DownReason.MessageHeaderError, NotificationMessage.For(error.Error), countFailure: true),
        _ => null,
    };

    // ---- helpers ----

    private BgpState SendOpen()
    {
        _actions.Add(new Send(_options.BuildOpen()));
        _actions.Add(new StartTimer(BgpTimer.Hold, PeerOptions.OpenHoldTime));
        return BgpState.OpenSent;
    }

    /// <summary>Validates the peer's OPEN and negotiates; OpenConfirm, or Idle with the OPEN error.</summary>
    private BgpState AcceptOpen(OpenMessage open, bool sendOpenFirst)
    {
        var negotiated = NegotiatedSession.TryNegotiate(_options, open, out var error, out var reason);
        if (sendOpenFirst)
        {
            // §8.2.2 event 20: our OPEN goes out before the KEEPALIVE or the NOTIFICATION.
            _actions.Add(new Send(_options.BuildOpen()));
        }
        if (negotiated is null)
        {
            return Idle(reason, NotificationMessage.For(error), countFailure: true);
        }
        _pending = negotiated;
        _actions.Add(new Send(KeepaliveMessage.Instance));
        if (negotiated.HoldTime == TimeSpan.Zero)
        {
            _actions.Add(new StopTimer(BgpTimer.Hold));
            _actions.Add(new StopTimer(BgpTimer.Keepalive));
        }
        else
        {
            _actions.Add(new StartTimer(BgpTimer.Keepalive, Jitter(negotiated.KeepaliveTime)));
            _actions.Add(new StartTimer(BgpTimer.Hold, negotiated.HoldTime));
        }
        return BgpState.OpenConfirm;
    }

    private void SendKeepalive()
    {
        var keepalive = (_pending ?? Session)?.KeepaliveTime ?? TimeSpan.Zero;
        _actions.Add(new Send(KeepaliveMessage.Instance));
        if (keepalive > TimeSpan.Zero)
        {
            _actions.Add(new StartTimer(BgpTimer.Keepalive, Jitter(keepalive)));
        }
    }

    private void RestartHold()
    {
        var hold = (Session ?? _pending)?.HoldTime ?? TimeSpan.Zero;
        if (hold > TimeSpan.Zero)
        {
            _actions.Add(new StartTimer(BgpTimer.Hold, hold));
        }
    }

    private void StopDelayOpen()
    {
        if (_delayOpenRunning)
        {
            _actions.Add(new StopTimer(BgpTimer.DelayOpen));
            _delayOpenRunning = false;
        }
    }

    /// <summary>
    /// The Cease for a stop. With the RFC 8538 N bit negotiated both ways, the peer keeps our routes
    /// after any Cease but Hard Reset (as for a graceful restart), so a stop meant to remove them for
    /// good (the peer was de-configured, an administrative reset, or BFD found the path dead: RFC 5882
    /// §4.3 wants the routes gone) is sent as Hard Reset (§3, §5).
    /// </summary>
    private NotificationMessage Cease(StopRequested stop)
    {
        var cease = NotificationMessage.Cease(stop.Subcode, stop.Communication);
        var notificationGr = _options.GracefulRestartTime is not null && Session?.PeerGracefulRestart is { Notification: true };
        return notificationGr && stop.Subcode is CeaseSubcode.PeerDeconfigured or CeaseSubcode.AdministrativeReset or CeaseSubcode.BfdDown
            ? NotificationMessage.HardReset(cease)
            : cease;
    }

    private BgpState Unexpected(BgpEvent e, FsmSubcode subcode) => e switch
    {
        // A NOTIFICATION received is no reason to send one back (RFC 4271 §6.5 ends the session).
        NotificationReceived n => Idle(DownReason.NotificationReceived, n.Notification, countFailure: true, received: true),
        // RFC 6608 §3: an unexpected message gets FSM Error with the state's subcode; an
        // unexpected timer is our own bug in the transport, reported the same way with subcode 0.
        TimerExpired => Idle(DownReason.UnexpectedEvent, new NotificationMessage(BgpErrorCode.FsmError, (byte)FsmSubcode.Unspecified, default), countFailure: true),
        _ => Idle(DownReason.UnexpectedEvent, new NotificationMessage(BgpErrorCode.FsmError, (byte)subcode, default), countFailure: true),
    };

    private static DownReason Reason(BgpEvent e) => e switch
    {
        StopRequested { Automatic: true } => DownReason.AutomaticStop,
        TimerExpired { Timer: BgpTimer.Hold } => DownReason.HoldTimerExpired,
        NotificationReceived => DownReason.NotificationReceived,
        OpenCollisionDump => DownReason.ConnectionCollision,
        _ => DownReason.UnexpectedEvent,
    };

    /// <summary>
    /// Back to Idle: NOTIFICATION (if one is due and was not received), every timer stopped,
    /// the connection dropped, and, unless stopped on purpose, the restart back-off armed.
    /// </summary>
    private BgpState Idle(DownReason reason, NotificationMessage? notification, bool countFailure, bool resetCounter = false, bool received = false)
    {
        var wasEstablished = State == BgpState.Established;
        if (notification is not null && !received)
        {
            _actions.Add(new Send(notification));
        }
        foreach (var timer in AllTimers)
        {
            _actions.Add(new StopTimer(timer));
        }
        _actions.Add(DropConnection.Instance);
        _actions.Add(new SessionDown(reason, notification, wasEstablished));
        _delayOpenRunning = false;
        _pending = null;
        Session = null;
        if (resetCounter)
        {
            ConnectRetryCounter = 0;
        }
        else if (countFailure)
        {
            ConnectRetryCounter++;
        }
        if (reason is DownReason.AdministrativeStop or DownReason.AutomaticStop)
        {
            _started = false; // stays down until started again (e.g. BFD back up, RFC 5882)
        }
        else if (_started)
        {
            _actions.Add(new StartTimer(BgpTimer.IdleHold, Backoff()));
        }
        return BgpState.Idle;
    }

    private static readonly BgpTimer[] AllTimers = [BgpTimer.ConnectRetry, BgpTimer.Hold, BgpTimer.Keepalive, BgpTimer.DelayOpen];

    /// <summary>ConnectRetryTime doubled per consecutive failure, capped, jittered.</summary>
    private TimeSpan Backoff()
    {
        var exponent = Math.Clamp(ConnectRetryCounter - 1, 0, 16);
        var delay = _options.ConnectRetryTime * Math.Pow(2, exponent);
        return Jitter(delay > _options.MaxConnectRetryTime ? _options.MaxConnectRetryTime : delay);
    }

    /// <summary>RFC 4271 §10: timers are jittered by a random factor in [0.75, 1.0].</summary>
    private TimeSpan Jitter(TimeSpan value) => value * (0.75 + (0.25 * _random.NextDouble()));
}
