using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Fsm = BgpLb.BgpSpeaker.Fsm;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>
/// One peer's session: a single loop that feeds the <see cref="PeerFsm"/> with received messages,
/// timer expiries and commands, and carries out its actions on a TCP connection (System.IO.Pipelines
/// via Pipelines.Sockets.Unofficial). Timers come from the injected <see cref="TimeProvider"/>.
/// Everything touching the FSMs, the Adj-RIB-Out and the pipes' writers runs on the loop, so there
/// are no locks; other threads only post inputs. The loop never waits for the peer to read: output
/// is bounded and drained in the background (PeerSession.Output.cs), so a stuck peer cannot hold
/// up its own timers and commands, let alone other peers.
/// Partial files: Collision (RFC 4271 §6.8, two connections at once), Output (bounded writes),
/// Transport (sockets, connect, read, close).
/// </summary>
public sealed partial class PeerSession : IAsyncDisposable
{
    private readonly PeerOptions _options;
    private readonly PeerEndpoint _endpoint;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly AdjRibOut _rib = new();
    private readonly AdjRibIn _received;
    private readonly Channel<object> _inputs = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private RouteSet _routes = RouteSet.Empty;
    private int _nextConnectionId;
    private int _timerGeneration;
    private bool _passive;
    private bool _stopped;
    private long _connectStarted;
    private ExportPolicy? _policy;
    private UpdateBuilder? _builder;
    private Task? _loop;

    public PeerSession(PeerOptions options, PeerEndpoint endpoint, TimeProvider time, Random random, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        SocketTtl.Validate(endpoint, options.IsInternal);
        if (options.Restarted && options.GracefulRestartTime is null)
        {
            throw new ArgumentException("Restarted (the RFC 4724 Restart State bit) needs GracefulRestartTime: the bit travels in the Graceful Restart capability.", nameof(options));
        }
        if (endpoint.OutputBudget < MinOutputBudget)
        {
            throw new ArgumentException($"OutputBudget is {endpoint.OutputBudget} bytes; at least {MinOutputBudget} (one extended message) is needed.", nameof(endpoint));
        }
        _options = options;
        _endpoint = endpoint;
        _time = time;
        _random = random;
        _logger = logger ?? NullLogger.Instance;
        _main = new Attempt(new PeerFsm(options, random));
        _received = new AdjRibIn(options.MaxReceivedRoutes);
    }

    /// <summary>Raised on the session loop after every transition that changes the state.</summary>
    public event Action<PeerSession, Transition>? StateChanged;

    /// <summary>
    /// The state once the last transition's actions are done (so that, for instance, a reader who
    /// sees Idle also sees <see cref="LastDown"/>); the FSM's own state runs ahead of it mid-transition.
    /// </summary>
    public BgpState State => _published.State;

    public NegotiatedSession? Negotiated => _published.Negotiated;

    private volatile Published _published = new(BgpState.Idle, null);

    private sealed record Published(BgpState State, NegotiatedSession? Negotiated);

    /// <summary>Why the session last went down, and the NOTIFICATION sent or received then.</summary>
    public SessionDown? LastDown { get; private set; }

    /// <summary>When the session last reached Established; null while it is not Established.</summary>
    public DateTimeOffset? EstablishedSince { get; private set; }

    /// <summary>Times an Established session went down (a flap, as MetalLB and BIRD count them).</summary>
    public long Flaps { get; private set; }

    /// <summary>The last NOTIFICATION we sent, and when (RFC 4271 §4.5).</summary>
    public NotificationSeen? LastNotificationSent { get; private set; }

    /// <summary>The last NOTIFICATION the peer sent us, and when.</summary>
    public NotificationSeen? LastNotificationReceived { get; private set; }

    /// <summary>UPDATE messages received (parsed, counted, never installed anywhere).</summary>
    public long UpdatesReceived { get; private set; }

    /// <summary>
    /// Why the last TCP connection failed or closed ("connect to 192.0.2.1:179: Connection refused",
    /// "peer 203.0.113.1:179 cannot keep up: 1048576 bytes unsent for 90 s").
    /// </summary>
    public string? LastConnectionError { get; private set; }

    public long UpdatesSent { get; private set; }

    /// <summary>Paths the peer announced that we hold (<see cref="AdjRibIn"/>), and those beyond its limit, not kept.</summary>
    public ReceivedCount ReceivedRoutes => _receivedCount;

    private volatile ReceivedCount _receivedCount = new(0, 0);

    /// <summary>What the peer has announced to us and still holds, read on the session loop.</summary>
    public async Task<IReadOnlyList<ReceivedRoute>> GetReceivedRoutesAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<IReadOnlyList<ReceivedRoute>>(TaskCreationOptions.RunContinuationsAsynchronously);
        ObjectDisposedException.ThrowIf(!_inputs.Writer.TryWrite(new ReadReceived(done)), this);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connection collisions resolved (RFC 4271 §6.8), each closing one connection with Cease / Connection Collision Resolution.</summary>
    public long CollisionsResolved { get; private set; }

    /// <summary>The last RFC 7606 attribute-discard or treat-as-withdraw outcome of a received UPDATE.</summary>
    public BgpError LastUpdateError { get; private set; }

    /// <summary>
    /// Starts the session loop: connects (RFC 4271 event 3, AutomaticStart) or, when
    /// <paramref name="passive"/>, waits for the peer's connection (event 5) handed over by <see cref="Accept"/>.
    /// </summary>
    public void Start(bool passive = false) => Start(passive, held: false);

    /// <summary>
    /// Starts the session loop; when <paramref name="held"/>, the session stays Idle (no connection,
    /// inbound ones refused) until <see cref="Resume"/>: a peer whose BFD session is down (RFC 5882 §4.3).
    /// </summary>
    public void Start(bool passive, bool held)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The session is already running.");
        }
        _passive = passive;
        RoutePathWarmUp.Start();
        _stopped = held;
        if (!held)
        {
            _inputs.Writer.TryWrite(new StartRequested(Automatic: true, Passive: passive));
        }
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Starts a stopped (or held) session again, as an automatic start (RFC 4271 event 3 or 5). Nothing if it runs.</summary>
    public void Resume() => _inputs.Writer.TryWrite(ResumeCommand.Instance);

    /// <summary>
    /// Hands over a connection the peer opened to us (RFC 4271 event 17). While the session waits
    /// for TCP (Connect or Active) it becomes the session's connection; while ours is opening
    /// (OpenSent, OpenConfirm) both are kept until the BGP Identifiers decide (§6.8); against an
    /// Established session it is closed with Cease / Connection Collision Resolution.
    /// </summary>
    public void Accept(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!_inputs.Writer.TryWrite(new Inbound(socket)))
        {
            socket.Dispose();
        }
    }

    /// <summary>
    /// Replaces the routes to announce; only the differences go on the wire. The set is laid out
    /// (<see cref="RouteSet.Create"/>) here, on the caller's thread, not on the session loop.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix appears twice.</exception>
    public void SetRoutes(IReadOnlyCollection<Route> routes) => SetRoutes(RouteSet.Create(routes));

    /// <summary>
    /// Replaces the routes to announce with an immutable set, which any number of sessions can
    /// share. A set made from the previous one by <see cref="RouteSet.With"/> costs the session
    /// only its changes.
    /// </summary>
    public void SetRoutes(RouteSet routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _inputs.Writer.TryWrite(new RoutesChanged(routes));
    }

    /// <summary>
    /// Soft reset out: re-sends every route of every negotiated family on the Established session
    /// as if the peer had asked with a ROUTE-REFRESH (RFC 2918 §4), inside BoRR/EoRR when Enhanced
    /// Route Refresh is negotiated (RFC 7313 §4), so the peer can drop anything stale. No session reset.
    /// Returns false when the session is not Established (nothing to refresh).
    /// </summary>
    public async Task<bool> RefreshOutAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        ObjectDisposedException.ThrowIf(!_inputs.Writer.TryWrite(new RefreshOut(done)), this);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Administrative shutdown (RFC 4486 Cease/2 with an RFC 9003 communication), waiting until the
    /// NOTIFICATION is queued or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public Task StopAsync(string? communication, CancellationToken cancellationToken) =>
        StopAsync(CeaseSubcode.AdministrativeShutdown, communication, cancellationToken);

    /// <summary>Stops with any Cease subcode (RFC 4486), e.g. Peer De-configured or Other Configuration Change.</summary>
    public async Task StopAsync(CeaseSubcode subcode, string? communication, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _inputs.Writer.TryWrite(new StopCommand(subcode, communication, done));
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _inputs.Writer.TryComplete();
        // A stop just sent its NOTIFICATION: let that connection close gracefully (bounded by
        // CloseGrace) before cancelling, which ends its reader and would dispose the socket with the
        // NOTIFICATION still queued, a reset instead of a Cease at the peer. Real time: this bounds
        // how long disposal holds resources, whatever clock the session runs on.
        await Task.WhenAny(Task.WhenAll(Closing()), Task.Delay(CloseGrace, TimeProvider.System)).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        foreach (var attempt in Attempts())
        {
            await DropConnection(attempt).ConfigureAwait(false);
            attempt.DisposeTimers();
        }
        _stopping.Dispose();
    }

    // ---- the loop ----

    private async Task RunAsync()
    {
        try
        {
            await foreach (var input in _inputs.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    Handle(input);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug of ours must not leave the peer silently dead (the loop would end and
                    // the session hang in whatever state it had): say so, and start it afresh.
                    Recover(ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private void Handle(object input)
    {
        switch (input)
        {
            case TimerFired fired:
                if (IsLive(fired.Attempt) && fired.Attempt.Timers.TryGetValue(fired.Timer, out var current) && current.Generation == fired.Generation)
                {
                    fired.Attempt.Timers.Remove(fired.Timer);
                    if (fired.Timer == BgpTimer.ConnectRetry && fired.Attempt.Connecting)
                    {
                        // RFC 4271 §8.2.2 event 9 abandons the TCP attempt still under way for a new
                        // one, so that attempt's own timeout is never heard of: say here why it failed.
                        RecordConnectionError(NoAnswer(_time.GetElapsedTime(_connectStarted)));
                    }
                    Apply(fired.Attempt, new TimerExpired(fired.Timer));
                }
                break;
            case ConnectionEvent e when Owner(e.ConnectionId) is null:
                // From a connection already dropped: stale.
                (e as Connected)?.Socket.Dispose();
                break;
            case Connected connected:
                var outbound = Owner(connected.ConnectionId)!;
                outbound.Connecting = false;
                Open(outbound, connected.Socket, inbound: false);
                Apply(outbound, new TcpConnected(Outbound: true));
                break;
            case Inbound inbound:
                AcceptInbound(inbound.Socket);
                break;
            case ConnectFailed failed:
                RecordConnectionError(failed.Reason);
                var owner = Owner(failed.ConnectionId)!;
                owner.Connecting = false;
                Apply(owner, new TcpConnectionFails(failed.Reason));
                break;
            case FramingFailed framing:
                Apply(Owner(framing.ConnectionId)!, new MessageError(framing.Error));
                break;
            case Received received:
                var on = Owner(received.ConnectionId)!;
                on.Connection?.ReceiveCredit.Release();
                var message = Decode(on, received.Message);
                if (message is OpenReceived open && ResolveCollision(on, open.Open))
                {
                    break; // this connection lost: it is closed, its OPEN goes no further
                }
                Apply(on, message);
                break;
            case Drained drained:
                OnDrained(drained);
                break;
            case StallCheck check:
                OnStallCheck(check);
                break;
            case RoutesChanged changed:
                _routes = changed.Routes;
                if (_main.Fsm.State == BgpState.Established)
                {
                    PlanRoutes();
                    WriteRoutes();
                }
                break;
            case ReadReceived read:
                read.Done.TrySetResult(_received.Snapshot());
                break;
            case RefreshOut refresh:
                var established = _main.Fsm.State == BgpState.Established && _main.Fsm.Session is not null;
                if (established)
                {
                    foreach (var family in _main.Fsm.Session!.Families)
                    {
                        AnswerRouteRefresh(_main, new RouteRefreshMessage(family.Afi, RouteRefreshSubtype.Normal, family.Safi));
                    }
                }
                refresh.Done.TrySetResult(established);
                break;
            case ResumeCommand:
                if (_stopped)
                {
                    _stopped = false;
                    Apply(_main, new StartRequested(Automatic: true, Passive: _passive));
                }
                break;
            case StopCommand stop:
                _stopped = true;
                foreach (var attempt in Attempts())
                {
                    Apply(attempt, new StopRequested(false, stop.Subcode, stop.Communication));
                }
                stop.Done.TrySetResult();
                break;
            case BgpEvent e:
                Apply(_main, e);
                break;
        }
    }

    /// <summary>Decodes a received message with what the connection has negotiated so far.</summary>
    private static BgpEvent Decode(Attempt attempt, byte[] message)
    {
        // Before Established only OPEN, KEEPALIVE and NOTIFICATION are legal, and none depends on
        // negotiation; the channel keeps order, so UPDATEs after the first KEEPALIVE see the session.
        var codec = attempt.Fsm.Session?.Codec ?? CodecOptions.Default;
        var status = MessageReader.TryRead(message, codec, out var decoded, out var error);
        if (status != OperationStatus.Done)
        {
            return new MessageError(error);
        }
        return decoded switch
        {
            OpenMessage open => new OpenReceived(open),
            KeepaliveMessage => KeepaliveReceived.Instance,
            UpdateMessage update => new UpdateReceived(update, error),
            NotificationMessage notification => new NotificationReceived(notification),
            RouteRefreshMessage refresh => new RouteRefreshReceived(refresh),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private void Apply(Attempt attempt, BgpEvent e)
    {
        var transition = attempt.Fsm.Handle(e);
        foreach (var action in transition.Actions)
        {
            CarryOut(attempt, action);
        }
        AfterTransition(attempt);
        _published = new Published(_main.Fsm.State, _main.Fsm.Session);
        if (transition.From != transition.To)
        {
            Log.StateChanged(_logger, _endpoint.Remote, transition.From, transition.To);
            if (attempt == _main)
            {
                Notify(transition);
            }
        }
    }

    /// <summary>Tells each subscriber in turn; one that throws is logged and does not stop the others or the session.</summary>
    private void Notify(Transition transition)
    {
        if (StateChanged is not { } handlers)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((Action<PeerSession, Transition>)handler).Invoke(this, transition);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.SubscriberFailed(_logger, _endpoint.Remote, transition.To, ex);
            }
        }
    }

    /// <summary>
    /// After an unexpected exception on the loop: every connection is closed (the peer sees the TCP
    /// session end and withdraws our routes, as after a crash), the FSM starts again from Idle as
    /// configured, and the error is kept in <see cref="LastConnectionError"/> and logged.
    /// </summary>
    private void Recover(Exception ex)
    {
        Log.LoopFailed(_logger, _endpoint.Remote, ex);
        RecordConnectionError($"internal error in the session loop, session restarted: {ex.GetType().Name}: {ex.Message}");
        foreach (var attempt in Attempts())
        {
            _ = DropConnection(attempt);
            attempt.DisposeTimers();
        }
        _incoming = null;
        _main = new Attempt(new PeerFsm(_options, _random));
        _policy = null;
        _builder = null;
        _received.Clear();
        PublishReceived();
        _published = new Published(BgpState.Idle, null);
        if (!_stopped)
        {
            _inputs.Writer.TryWrite(new StartRequested(Automatic: true, Passive: _passive));
        }
    }

    private void CarryOut(Attempt attempt, BgpAction action)
    {
        switch (action)
        {
            case InitiateConnection when attempt == _main:
                BeginConnect(attempt);
                break;
            case InitiateConnection or ListenForConnection:
                // Inbound connections are accepted by the speaker's listener and handed over; a
                // session started passively simply waits for one. An FSM kept for an incoming
                // connection never connects out: it is discarded once its connection is gone.
                break;
            case Fsm.DropConnection:
                _ = DropConnection(attempt); // completes in the background, bounded by CloseGrace
                break;
            case Send send:
                Write(attempt, send.Message);
                break;
            case StartTimer start when attempt == _main || start.Timer != BgpTimer.IdleHold:
                StartTimer(attempt, start.Timer, start.After);
                break;
            case Fsm.StartTimer:
                break; // only the peer's own FSM restarts after a failure (an incoming one's is discarded)
            case StopTimer stop:
                if (attempt.Timers.Remove(stop.Timer, out var running))
                {
                    running.Timer.Dispose();
                }
                break;
            case SessionUp up:
                Promote(attempt);
                Log.SessionUp(_logger, _endpoint.Remote, up.Session.PeerAsn, up.Session.HoldTime, up.Session.Families,
                    up.Session.Codec.FourOctetAsn, up.Session.Codec.MaxMessageLength > BgpHeader.MaxMessageLength);
                var local = attempt.Connection?.Socket.LocalEndPoint as IPEndPoint;
                _policy = new ExportPolicy(_options.LocalAsn, up.Session, NextHopV4(local), NextHopV6(local), _endpoint.LinkLocalV6);
                _builder = new UpdateBuilder(up.Session.Codec);
                EstablishedSince = _time.GetUtcNow();
                _rib.SessionReset();
                PlanRoutes();
                _endOfRibDue = true;
                WriteRoutes();
                break;
            case SessionDown down:
                OnSessionDown(attempt, down);
                break;
            case Deliver { Message: UpdateReceived update }:
                UpdatesReceived++;
                _received.Apply(update.Update, update.Error);
                PublishReceived();
                if (update.Error.IsError)
                {
                    LastUpdateError = update.Error;
                    Log.UpdateError(_logger, _endpoint.Remote, update.Error);
                }
                break;
            case Deliver { Message: RouteRefreshReceived refresh }:
                Log.RouteRefresh(_logger, _endpoint.Remote, refresh.Refresh.Family);
                AnswerRouteRefresh(attempt, refresh.Refresh);
                break;
        }
    }

    private void OnSessionDown(Attempt attempt, SessionDown down)
    {
        var received = down.Reason is DownReason.NotificationReceived or DownReason.VersionNotificationReceived;
        Log.SessionDown(_logger, _endpoint.Remote, down.Reason, received ? "received" : "sent", down.Notification, down.WasEstablished);
        if (down.Notification is { } notification)
        {
            var seen = new NotificationSeen(notification, _time.GetUtcNow());
            if (received)
            {
                LastNotificationReceived = seen;
            }
            else
            {
                LastNotificationSent = seen;
            }
        }
        if (down.WasEstablished)
        {
            Flaps++;
            EstablishedSince = null;
            _policy = null;
            _builder = null;
            _endOfRibDue = false;
            _rib.SessionReset();
            _received.Clear();
            PublishReceived();
        }
        // A connection that lost a collision says nothing about the peer: the other one carries on.
        if (down.Reason != DownReason.ConnectionCollision || Other(attempt) is null)
        {
            LastDown = down;
        }
    }

    /// <summary>IPv4 VIPs need an IPv4 next hop: the session's own address, or the configured one over an IPv6 session.</summary>
    private IPAddress? NextHopV4(IPEndPoint? local) =>
        _endpoint.NextHopV4 ?? (local?.Address is { } address && (address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6)
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address) : null);

    private IPAddress? NextHopV6(IPEndPoint? local) =>
        _endpoint.NextHopV6 ?? (local?.Address is { AddressFamily: AddressFamily.InterNetworkV6, IsIPv4MappedToIPv6: false } address ? address : null);

    /// <summary>RFC 2918 §4 / RFC 7313 §4: re-send the family, inside BoRR/EoRR when both sides support it.</summary>
    private void AnswerRouteRefresh(Attempt attempt, RouteRefreshMessage refresh)
    {
        if (_builder is null || attempt.Connection is not { } connection || refresh.Subtype != RouteRefreshSubtype.Normal)
        {
            return; // BoRR/EoRR from the peer concern its routes, which we do not keep
        }
        var enhanced = attempt.Fsm.Session?.EnhancedRouteRefresh == true;
        if (enhanced)
        {
            Write(attempt, new RouteRefreshMessage(refresh.Afi, RouteRefreshSubtype.BeginningOfRouteRefresh, refresh.Safi));
        }
        // A refresh re-sends the whole family at once: the peer asked for it, and the output budget
        // still applies to everything after it (no further UPDATEs until this has drained).
        UpdatesSent += _rib.WriteFull(connection.Output, _builder, refresh.Afi);
        if (enhanced)
        {
            Write(attempt, new RouteRefreshMessage(refresh.Afi, RouteRefreshSubtype.EndOfRouteRefresh, refresh.Safi));
        }
        Flush(attempt);
    }

    /// <summary>
    /// Fits the route set to this session: per attribute group (not per route), the attributes the
    /// export policy gives, or none where the peer did not negotiate the family or we have no next
    /// hop for it.
    /// </summary>
    private void PlanRoutes()
    {
        if (_policy is null || _main.Fsm.Session is not { } session)
        {
            return;
        }
        var templates = _routes.Templates;
        var attributes = new PathAttributes?[templates.Length];
        for (var g = 0; g < templates.Length; g++)
        {
            var family = templates[g].Prefix.Family == Afi.IPv4 ? AfiSafi.IPv4Unicast : AfiSafi.IPv6Unicast;
            attributes[g] = session.Families.AsSpan().Contains(family) ? _policy.Attributes(templates[g]) : null;
        }
        _rib.SetDesired(_routes, attributes);
    }

    private void StartTimer(Attempt attempt, BgpTimer timer, TimeSpan after)
    {
        if (attempt.Timers.Remove(timer, out var old))
        {
            old.Timer.Dispose();
        }
        var generation = ++_timerGeneration;
        var created = _time.CreateTimer(_ => _inputs.Writer.TryWrite(new TimerFired(attempt, timer, generation)), null, after, Timeout.InfiniteTimeSpan);
        attempt.Timers[timer] = (created, generation);
    }

    private void RecordConnectionError(string reason)
    {
        LastConnectionError = reason;
        Log.ConnectionFailed(_logger, _endpoint.Remote, reason);
    }

    /// <summary>A TCP handshake that got no answer at all, with the likely causes of the options in force.</summary>
    private string NoAnswer(TimeSpan after)
    {
        var reason = $"connect to {_endpoint.Remote} timed out after {after.TotalSeconds:0.0} s";
        if (_endpoint.Password is { Length: > 0 })
        {
            // RFC 2385: with a wrong or missing key the peer's kernel drops our SYNs silently.
            reason += " (TCP MD5 is on: check that both ends have the same password)";
        }
        if (_endpoint.GtsmHops is { } hops)
        {
            // RFC 5082: our kernel drops the peer's SYN-ACK if it arrives with a lower TTL.
            reason += $" (GTSM is on: the peer must send TTL 255 and be at most {hops} hop(s) away)";
        }
        return reason;
    }

    private sealed record TimerFired(Attempt Attempt, BgpTimer Timer, int Generation);

    private sealed record RoutesChanged(RouteSet Routes);

    private sealed record RefreshOut(TaskCompletionSource<bool> Done);

    private sealed record ReadReceived(TaskCompletionSource<IReadOnlyList<ReceivedRoute>> Done);

    private void PublishReceived() => _receivedCount = new ReceivedCount(_received.Count, _received.NotStored);

    private sealed record StopCommand(CeaseSubcode Subcode, string? Communication, TaskCompletionSource Done);

    private sealed record ResumeCommand
    {
        public static readonly ResumeCommand Instance = new();
    }
}
