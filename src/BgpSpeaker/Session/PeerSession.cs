using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using BgpLb.BgpSpeaker.Fsm;
using Fsm = BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipelines.Sockets.Unofficial;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>
/// One peer's session: a single loop that feeds the <see cref="PeerFsm"/> with received messages,
/// timer expiries and commands, and carries out its actions on a TCP connection (System.IO.Pipelines
/// via Pipelines.Sockets.Unofficial). Timers come from the injected <see cref="TimeProvider"/>.
/// Everything touching the FSM, the Adj-RIB-Out and the pipe's writer runs on the loop, so there
/// are no locks; other threads only post inputs.
/// </summary>
public sealed class PeerSession : IAsyncDisposable
{
    private readonly PeerOptions _options;
    private readonly PeerEndpoint _endpoint;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PeerFsm _fsm;
    private readonly AdjRibOut _rib = new();
    private readonly Channel<object> _inputs = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<BgpTimer, (ITimer Timer, int Generation)> _timers = [];
    private readonly CancellationTokenSource _stopping = new();
    private IReadOnlyCollection<Route> _routes = [];
    private Connection? _connection;
    private int _connectionId;
    private int _timerGeneration;
    private ExportPolicy? _policy;
    private UpdateBuilder? _builder;
    private Task? _loop;

    public PeerSession(PeerOptions options, PeerEndpoint endpoint, TimeProvider time, Random random, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _endpoint = endpoint;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        _fsm = new PeerFsm(options, random);
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

    /// <summary>UPDATE messages received (parsed, counted, never installed anywhere).</summary>
    public long UpdatesReceived { get; private set; }

    /// <summary>Why the last TCP connection failed or closed ("connect to 192.0.2.1:179: Connection refused").</summary>
    public string? LastConnectionError { get; private set; }

    public long UpdatesSent { get; private set; }

    /// <summary>The last RFC 7606 attribute-discard or treat-as-withdraw outcome of a received UPDATE.</summary>
    public BgpError LastUpdateError { get; private set; }

    /// <summary>
    /// Starts the session loop: connects (RFC 4271 event 3, AutomaticStart) or, when
    /// <paramref name="passive"/>, waits for the peer's connection (event 5) handed over by <see cref="Accept"/>.
    /// </summary>
    public void Start(bool passive = false)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The session is already running.");
        }
        _inputs.Writer.TryWrite(new StartRequested(Automatic: true, Passive: passive));
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Hands over a connection the peer opened to us (RFC 4271 event 17). It is taken while the
    /// session waits for TCP (Connect or Active); otherwise it is closed: the connection we have
    /// wins. (RFC 4271 §6.8 collision resolution by BGP Identifier is not implemented yet.)
    /// </summary>
    public void Accept(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!_inputs.Writer.TryWrite(new Inbound(socket)))
        {
            socket.Dispose();
        }
    }

    /// <summary>Replaces the routes to announce; only the differences go on the wire.</summary>
    public void SetRoutes(IReadOnlyCollection<Route> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _inputs.Writer.TryWrite(new RoutesChanged(routes));
    }

    /// <summary>
    /// Administrative shutdown (RFC 4486 Cease/2 with an RFC 9003 communication), waiting until the
    /// NOTIFICATION is written or <paramref name="cancellationToken"/> fires.
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
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        await DropConnection().ConfigureAwait(false);
        foreach (var (timer, _) in _timers.Values)
        {
            timer.Dispose();
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
                await HandleAsync(input).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task HandleAsync(object input)
    {
        switch (input)
        {
            case TimerFired fired:
                if (_timers.TryGetValue(fired.Timer, out var current) && current.Generation == fired.Generation)
                {
                    _timers.Remove(fired.Timer);
                    await ApplyAsync(new TimerExpired(fired.Timer)).ConfigureAwait(false);
                }
                break;
            case ConnectionEvent { ConnectionId: var id } e when id != _connectionId:
                // From a connection already dropped: stale.
                (e as Connected)?.Socket.Dispose();
                break;
            case Connected connected:
                _connection = new Connection(connected.Socket, SocketConnection.Create(connected.Socket, name: $"bgp {_endpoint.Remote}"));
                _connection.Reader = ReadAsync(_connection, _connectionId);
                await ApplyAsync(new TcpConnected(Outbound: true)).ConfigureAwait(false);
                break;
            case Inbound inbound:
                if (_connection is not null || _fsm.State is not (BgpState.Connect or BgpState.Active))
                {
                    inbound.Socket.Dispose();
                    break;
                }
                _ = DropConnection(); // an outbound attempt still under way becomes stale
                inbound.Socket.NoDelay = true;
                _connection = new Connection(inbound.Socket, SocketConnection.Create(inbound.Socket, name: $"bgp {_endpoint.Remote}"));
                _connection.Reader = ReadAsync(_connection, _connectionId);
                await ApplyAsync(new TcpConnected(Outbound: false)).ConfigureAwait(false);
                break;
            case ConnectFailed failed:
                LastConnectionError = failed.Reason;
                Log.ConnectionFailed(_logger, _endpoint.Remote, failed.Reason);
                await ApplyAsync(new TcpConnectionFails(failed.Reason)).ConfigureAwait(false);
                break;
            case FramingFailed framing:
                await ApplyAsync(new MessageError(framing.Error)).ConfigureAwait(false);
                break;
            case Received received:
                await ApplyAsync(Decode(received.Message)).ConfigureAwait(false);
                break;
            case RoutesChanged changed:
                _routes = changed.Routes;
                if (_fsm.State == BgpState.Established)
                {
                    PlanRoutes();
                    await FlushRoutesAsync().ConfigureAwait(false);
                }
                break;
            case StopCommand stop:
                await ApplyAsync(new StopRequested(false, stop.Subcode, stop.Communication)).ConfigureAwait(false);
                stop.Done.TrySetResult();
                break;
            case BgpEvent e:
                await ApplyAsync(e).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Decodes a received message with what the session has negotiated so far.</summary>
    private BgpEvent Decode(byte[] message)
    {
        // Before Established only OPEN, KEEPALIVE and NOTIFICATION are legal, and none depends on
        // negotiation; the channel keeps order, so UPDATEs after the first KEEPALIVE see the session.
        var codec = _fsm.Session?.Codec ?? CodecOptions.Default;
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

    private async Task ApplyAsync(BgpEvent e)
    {
        var transition = _fsm.Handle(e);
        foreach (var action in transition.Actions)
        {
            await CarryOutAsync(action).ConfigureAwait(false);
        }
        _published = new Published(_fsm.State, _fsm.Session);
        if (transition.From != transition.To)
        {
            Log.StateChanged(_logger, _endpoint.Remote, transition.From, transition.To);
            StateChanged?.Invoke(this, transition);
        }
    }

    private async Task CarryOutAsync(BgpAction action)
    {
        switch (action)
        {
            case InitiateConnection:
                BeginConnect();
                break;
            case ListenForConnection:
                // Inbound connections are accepted by the speaker's listener and handed over; a
                // session started passively simply waits for one.
                break;
            case Fsm.DropConnection:
                _ = DropConnection(); // completes in the background, bounded by CloseGrace
                break;
            case Send send:
                await WriteAsync(send.Message).ConfigureAwait(false);
                break;
            case StartTimer start:
                StartTimer(start.Timer, start.After);
                break;
            case StopTimer stop:
                if (_timers.Remove(stop.Timer, out var running))
                {
                    running.Timer.Dispose();
                }
                break;
            case SessionUp up:
                Log.SessionUp(_logger, _endpoint.Remote, up.Session.PeerAsn, up.Session.HoldTime, up.Session.Families,
                    up.Session.Codec.FourOctetAsn, up.Session.Codec.MaxMessageLength > BgpHeader.MaxMessageLength);
                var local = _connection?.Socket.LocalEndPoint as IPEndPoint;
                var nextHopV4 = _endpoint.NextHopV4 ?? (local?.Address.AddressFamily == AddressFamily.InterNetwork ? local.Address : null);
                var nextHopV6 = _endpoint.NextHopV6 ?? (local?.Address.AddressFamily == AddressFamily.InterNetworkV6 ? local.Address : null);
                _policy = new ExportPolicy(_options.LocalAsn, up.Session, nextHopV4, nextHopV6, _endpoint.LinkLocalV6);
                _builder = new UpdateBuilder(up.Session.Codec);
                _rib.SessionReset();
                PlanRoutes();
                await FlushRoutesAsync().ConfigureAwait(false);
                // RFC 4724 §2: End-of-RIB for each family once the initial routes are out.
                for (var i = 0; i < up.Session.Families.Count; i++)
                {
                    await WriteAsync(UpdateMessage.EndOfRib(up.Session.Families[i])).ConfigureAwait(false);
                }
                break;
            case SessionDown down:
                LastDown = down;
                var received = down.Reason is DownReason.NotificationReceived or DownReason.VersionNotificationReceived;
                Log.SessionDown(_logger, _endpoint.Remote, down.Reason, received ? "received" : "sent",
                    down.Notification, down.WasEstablished);
                _policy = null;
                _builder = null;
                _rib.SessionReset();
                break;
            case Deliver { Message: UpdateReceived update }:
                UpdatesReceived++;
                if (update.Error.IsError)
                {
                    LastUpdateError = update.Error;
                    Log.UpdateError(_logger, _endpoint.Remote, update.Error);
                }
                break;
            case Deliver { Message: RouteRefreshReceived refresh }:
                Log.RouteRefresh(_logger, _endpoint.Remote, refresh.Refresh.Family);
                await AnswerRouteRefreshAsync(refresh.Refresh).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>RFC 2918 §4 / RFC 7313 §4: re-send the family, inside BoRR/EoRR when both sides support it.</summary>
    private async Task AnswerRouteRefreshAsync(RouteRefreshMessage refresh)
    {
        if (_builder is null || _connection is null || refresh.Subtype != RouteRefreshSubtype.Normal)
        {
            return; // BoRR/EoRR from the peer concern its routes, which we do not keep
        }
        var enhanced = _fsm.Session?.EnhancedRouteRefresh == true;
        if (enhanced)
        {
            await WriteAsync(new RouteRefreshMessage(refresh.Afi, RouteRefreshSubtype.BeginningOfRouteRefresh, refresh.Safi)).ConfigureAwait(false);
        }
        UpdatesSent += _rib.WriteFull(_connection.Pipe.Output, _builder, refresh.Afi);
        if (enhanced)
        {
            await WriteAsync(new RouteRefreshMessage(refresh.Afi, RouteRefreshSubtype.EndOfRouteRefresh, refresh.Safi)).ConfigureAwait(false);
        }
        await FlushAsync().ConfigureAwait(false);
    }

    private void PlanRoutes()
    {
        if (_policy is null || _fsm.Session is not { } session)
        {
            return;
        }
        var desired = new List<KeyValuePair<Nlri, PathAttributes>>(_routes.Count);
        foreach (var route in _routes)
        {
            var family = route.Prefix.Family == Afi.IPv4 ? AfiSafi.IPv4Unicast : AfiSafi.IPv6Unicast;
            if (!session.Families.AsSpan().Contains(family))
            {
                continue; // the peer did not negotiate this family
            }
            if (_policy.Attributes(route) is { } attributes)
            {
                desired.Add(KeyValuePair.Create(new Nlri(route.Prefix), attributes));
            }
        }
        _rib.SetDesired(desired);
    }

    private async Task FlushRoutesAsync()
    {
        if (_builder is null || _connection is null || !_rib.HasChanges)
        {
            return;
        }
        UpdatesSent += _rib.WriteChanges(_connection.Pipe.Output, _builder);
        await FlushAsync().ConfigureAwait(false);
    }

    private async Task WriteAsync(BgpMessage message)
    {
        if (_connection is null)
        {
            return;
        }
        MessageWriter.Write(_connection.Pipe.Output, message, _fsm.Session?.Codec ?? CodecOptions.Default);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A peer that stops reading must not hold the session loop forever: a flush that does not
    /// complete within the Hold Time (or 30 s before negotiation) counts as a failed connection.
    /// </summary>
    private async Task FlushAsync()
    {
        if (_connection is null)
        {
            return;
        }
        var limit = _fsm.Session?.HoldTime is { } hold && hold > TimeSpan.Zero ? hold : TimeSpan.FromSeconds(30);
        try
        {
            await _connection.Pipe.Output.FlushAsync(_stopping.Token).AsTask().WaitAsync(limit, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _inputs.Writer.TryWrite(new ConnectFailed(_connectionId, $"peer did not read for {limit.TotalSeconds:0} s"));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _inputs.Writer.TryWrite(new ConnectFailed(_connectionId, ex.Message));
        }
    }

    private void StartTimer(BgpTimer timer, TimeSpan after)
    {
        if (_timers.Remove(timer, out var old))
        {
            old.Timer.Dispose();
        }
        var generation = ++_timerGeneration;
        var created = _time.CreateTimer(_ => _inputs.Writer.TryWrite(new TimerFired(timer, generation)), null, after, Timeout.InfiniteTimeSpan);
        _timers[timer] = (created, generation);
    }

    private void BeginConnect()
    {
        _ = DropConnection();
        var id = _connectionId;
        _ = ConnectAsync(id);
    }

    private async Task ConnectAsync(int id)
    {
        var socket = _endpoint.SocketFactory?.Invoke(_endpoint.Remote.AddressFamily)
            ?? new Socket(_endpoint.Remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            if (_endpoint.Password is { Length: > 0 } password)
            {
                TcpMd5.Set(socket, _endpoint.Remote.Address, password);
            }
            if (_endpoint.LocalAddress is { } local)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(_endpoint.ConnectTimeout);
            await socket.ConnectAsync(_endpoint.Remote, timeout.Token).ConfigureAwait(false);
            _inputs.Writer.TryWrite(new Connected(id, socket));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            var reason = ex is OperationCanceledException ? $"connect to {_endpoint.Remote} timed out" : $"connect to {_endpoint.Remote}: {ex.Message}";
            if (ex is OperationCanceledException && _endpoint.Password is { Length: > 0 })
            {
                // With RFC 2385 a wrong or missing key makes the peer's kernel drop our SYNs silently.
                reason += " (TCP MD5 is on: check that both ends have the same password)";
            }
            _inputs.Writer.TryWrite(new ConnectFailed(id, reason));
        }
    }

    /// <summary>Frames messages off the connection and posts them to the loop, which decodes them.</summary>
    private async Task ReadAsync(Connection connection, int id)
    {
        var input = connection.Pipe.Input;
        var reason = "connection closed by peer";
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_stopping.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (true)
                {
                    // Framing only: the header is checked against the largest size we ever accept; the
                    // loop then decodes with the negotiated options (which may shrink it again).
                    var status = MessageReader.TryReadHeader(buffer, CodecOptions.Modern, out var length, out _, out var error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        break;
                    }
                    if (status == OperationStatus.InvalidData)
                    {
                        _inputs.Writer.TryWrite(new FramingFailed(id, error));
                        input.AdvanceTo(buffer.End);
                        return;
                    }
                    var message = buffer.Slice(0, length).ToArray();
                    buffer = buffer.Slice(length);
                    _inputs.Writer.TryWrite(new Received(id, message));
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or ConnectionAbortedException)
        {
            reason = ex.Message;
        }
        _inputs.Writer.TryWrite(new ConnectFailed(id, reason));
    }

    private Task DropConnection()
    {
        _connectionId++;
        if (_connection is not { } connection)
        {
            return Task.CompletedTask;
        }
        _connection = null;
        return CloseAsync(connection);
    }

    /// <summary>
    /// Closes gracefully: completing the output lets the pipe send what is queued (a NOTIFICATION
    /// above all) and then a FIN; the socket is released once the peer closes too, or after
    /// <see cref="CloseGrace"/> at most.
    /// </summary>
    private async Task CloseAsync(Connection connection)
    {
        await connection.Pipe.Output.CompleteAsync().ConfigureAwait(false);
        if (connection.Reader is { } reader)
        {
            await Task.WhenAny(reader, Task.Delay(CloseGrace, _time)).ConfigureAwait(false);
        }
        connection.Pipe.Dispose();
        connection.Socket.Dispose();
    }

    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private sealed class Connection(Socket socket, SocketConnection pipe)
    {
        public Socket Socket { get; } = socket;

        public SocketConnection Pipe { get; } = pipe;

        public Task? Reader { get; set; }
    }

    private abstract record ConnectionEvent(int ConnectionId);

    private sealed record Connected(int ConnectionId, Socket Socket) : ConnectionEvent(ConnectionId);

    private sealed record ConnectFailed(int ConnectionId, string Reason) : ConnectionEvent(ConnectionId);

    private sealed record Received(int ConnectionId, byte[] Message) : ConnectionEvent(ConnectionId);

    private sealed record FramingFailed(int ConnectionId, BgpError Error) : ConnectionEvent(ConnectionId);

    private sealed record Inbound(Socket Socket);

    private sealed record TimerFired(BgpTimer Timer, int Generation);

    private sealed record RoutesChanged(IReadOnlyCollection<Route> Routes);

    private sealed record StopCommand(CeaseSubcode Subcode, string? Communication, TaskCompletionSource Done);
}
