using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BgpLb.BgpSpeaker;

/// <summary>What the speaker knows of one peer, for status and the admin API.</summary>
public sealed record PeerStatus(
    string Name,
    IPEndPoint Remote,
    BgpState State,
    NegotiatedSession? Negotiated,
    SessionDown? LastDown,
    string? LastConnectionError,
    long UpdatesSent,
    long UpdatesReceived,
    long CollisionsResolved,
    ReceivedCount ReceivedRoutes)
{
    /// <summary>The peer's settings (local and peer AS, timers, families asked for).</summary>
    public PeerOptions? Options { get; init; }

    public DateTimeOffset? EstablishedSince { get; init; }

    public long Flaps { get; init; }

    public NotificationSeen? LastNotificationSent { get; init; }

    public NotificationSeen? LastNotificationReceived { get; init; }

    /// <summary>Routes the peer should hold from us (its Adj-RIB-Out before per-session attributes).</summary>
    public int RoutesAdvertised { get; init; }
}

/// <summary>
/// The embedded BGP speaker: peers by name, the routes to announce, and a listener that hands
/// inbound connections to the peer they come from. One <see cref="PeerSession"/> per peer, each
/// with its own loop, so a slow peer never holds up another.
/// </summary>
public sealed class BgpSpeaker : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly Func<Random> _random;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private readonly List<(Socket Socket, Task Loop)> _listeners = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, RouteSet> _peerRoutes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);
    private RouteSet _routes = RouteSet.Empty;

    public BgpSpeaker(TimeProvider time, Func<Random>? random = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _random = random ?? (() => new Random());
    }

    /// <summary>Raised (on the peer's session loop) when a peer's state changes.</summary>
    public event Action<string, Transition>? PeerStateChanged;

    /// <summary>
    /// Adds a peer, or replaces one whose settings changed: the old session ends with Cease /
    /// Other Configuration Change (RFC 4486) and a new one starts. Unchanged settings: nothing happens.
    /// </summary>
    public async Task AddOrUpdatePeerAsync(string name, PeerOptions options, PeerEndpoint endpoint, bool passive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(endpoint);
        Peer? old;
        Peer created;
        bool held;
        lock (_lock)
        {
            held = _held.Contains(name);
            if (_peers.TryGetValue(name, out old) && old.Options == options && old.Endpoint == endpoint && old.Passive == passive)
            {
                return;
            }
            created = new Peer(name, options, endpoint, passive, new PeerSession(options, endpoint, _time, _random(), _loggers.CreateLogger($"BgpLb.BgpSpeaker.Peer.{name}")));
            _peers[name] = created;
        }
        if (old is not null)
        {
            await old.Session.StopAsync(CeaseSubcode.OtherConfigurationChange, null, cancellationToken).ConfigureAwait(false);
            await old.Session.DisposeAsync().ConfigureAwait(false);
        }
        created.Session.StateChanged += (_, transition) => PeerStateChanged?.Invoke(name, transition);
        created.Session.SetRoutes(RoutesFor(name));
        created.Session.Start(passive, held);
        foreach (var (listener, _) in ListenersSnapshot())
        {
            if (old is not null)
            {
                ClearListenerKey(listener, old.Endpoint);
            }
            SetListenerKey(listener, endpoint);
        }
    }

    /// <summary>
    /// Takes a peer's session down with Cease / <paramref name="subcode"/> and keeps it down, through
    /// configuration changes, until <see cref="ReleasePeer"/>: RFC 5882 §4.3, a BFD session that went
    /// Down takes BGP (and our routes at the peer) with it, and BGP waits for BFD to come back Up.
    /// Holding a peer that is not configured yet holds it from its start.
    /// </summary>
    public async Task HoldPeerAsync(string name, CeaseSubcode subcode, CancellationToken cancellationToken)
    {
        Peer? peer;
        lock (_lock)
        {
            _held.Add(name);
            _peers.TryGetValue(name, out peer);
        }
        if (peer is not null)
        {
            await peer.Session.StopAsync(subcode, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lets a held peer's session start again (BFD is Up).</summary>
    public void ReleasePeer(string name)
    {
        Peer? peer;
        lock (_lock)
        {
            if (!_held.Remove(name))
            {
                return;
            }
            _peers.TryGetValue(name, out peer);
        }
        peer?.Session.Resume();
    }

    /// <summary>Removes a peer after an administrative shutdown carrying <paramref name="communication"/> (RFC 9003).</summary>
    public async Task RemovePeerAsync(string name, string? communication, CancellationToken cancellationToken)
    {
        Peer? peer;
        lock (_lock)
        {
            _peers.Remove(name, out peer);
            _peerRoutes.Remove(name);
            _held.Remove(name);
        }
        if (peer is null)
        {
            return;
        }
        // RFC 4486: Peer De-configured, unless the operator gave a reason to show (RFC 9003 needs Administrative Shutdown).
        var subcode = communication is null ? CeaseSubcode.PeerDeconfigured : CeaseSubcode.AdministrativeShutdown;
        await peer.Session.StopAsync(subcode, communication, cancellationToken).ConfigureAwait(false);
        await peer.Session.DisposeAsync().ConfigureAwait(false);
        foreach (var (listener, _) in ListenersSnapshot())
        {
            ClearListenerKey(listener, peer.Endpoint);
        }
    }

    /// <summary>
    /// The routes every peer should hold, except peers given their own set with
    /// <see cref="SetRoutes(string, IReadOnlyCollection{Route})"/>; each peer receives only what changed for it.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix appears twice.</exception>
    public void SetRoutes(IReadOnlyCollection<Route> routes) => SetRoutes(RouteSet.Create(routes));

    /// <summary>As <see cref="SetRoutes(IReadOnlyCollection{Route})"/>, with a set laid out once and shared by every peer.</summary>
    public void SetRoutes(RouteSet routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        List<Peer> peers;
        lock (_lock)
        {
            _routes = routes;
            peers = [.. _peers.Values.Where(p => !_peerRoutes.ContainsKey(p.Name))];
        }
        foreach (var peer in peers)
        {
            peer.Session.SetRoutes(routes);
        }
    }

    /// <summary>
    /// The routes peer <paramref name="name"/> should hold, whether or not it exists yet (set them before
    /// adding the peer and its first UPDATEs already carry them). The daemon plans per peer: an
    /// advertisement may name its peers and carry its own attributes.
    /// </summary>
    /// <exception cref="ArgumentException">A prefix appears twice.</exception>
    public void SetRoutes(string name, IReadOnlyCollection<Route> routes) => SetRoutes(name, RouteSet.Create(routes));

    /// <summary>
    /// As <see cref="SetRoutes(string, IReadOnlyCollection{Route})"/> with an immutable set: one made from the
    /// peer's previous set by <see cref="RouteSet.With"/> costs the session only the changed prefixes.
    /// </summary>
    public void SetRoutes(string name, RouteSet routes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(routes);
        Peer? peer;
        lock (_lock)
        {
            if (_peerRoutes.TryGetValue(name, out var held) && ReferenceEquals(held, routes))
            {
                return; // the set the session has: a diff of it with itself would walk every route for nothing
            }
            _peerRoutes[name] = routes;
            _peers.TryGetValue(name, out peer);
        }
        peer?.Session.SetRoutes(routes);
    }

    /// <summary>The routes peer <paramref name="name"/> is given (its own set, or the shared one): what it is advertised.</summary>
    public RouteSet RoutesFor(string name)
    {
        lock (_lock)
        {
            return _peerRoutes.GetValueOrDefault(name, _routes);
        }
    }

    public IReadOnlyList<PeerStatus> Peers =>
        PeersSnapshot().Select(p => new PeerStatus(p.Name, p.Endpoint.Remote, p.Session.State, p.Session.Negotiated, p.Session.LastDown,
            p.Session.LastConnectionError, p.Session.UpdatesSent, p.Session.UpdatesReceived, p.Session.CollisionsResolved, p.Session.ReceivedRoutes)
        {
            Options = p.Options,
            EstablishedSince = p.Session.EstablishedSince,
            Flaps = p.Session.Flaps,
            LastNotificationSent = p.Session.LastNotificationSent,
            LastNotificationReceived = p.Session.LastNotificationReceived,
            RoutesAdvertised = RoutesFor(p.Name).Count,
        }).ToList();

    /// <summary>
    /// Resets peer <paramref name="name"/> for the operator. Hard: Cease / Administrative Reset
    /// (RFC 4486 §4) and a new session at once (unless BFD holds it down). Soft: re-sends every
    /// route without a reset (<see cref="PeerSession.RefreshOutAsync"/>). Returns false when a soft
    /// reset found no Established session.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No peer of that name.</exception>
    public async Task<bool> ResetPeerAsync(string name, bool soft, CancellationToken cancellationToken)
    {
        var peer = PeersSnapshot().FirstOrDefault(p => p.Name == name)
            ?? throw new KeyNotFoundException($"No BGP peer named \"{name}\".");
        if (soft)
        {
            return await peer.Session.RefreshOutAsync(cancellationToken).ConfigureAwait(false);
        }
        await peer.Session.StopAsync(CeaseSubcode.AdministrativeReset, "reset by the operator", cancellationToken).ConfigureAwait(false);
        bool held;
        lock (_lock)
        {
            held = _held.Contains(name);
        }
        if (!held)
        {
            peer.Session.Resume();
        }
        return true;
    }

    /// <summary>What peer <paramref name="name"/> has announced to us and still holds (for the admin API).</summary>
    public Task<IReadOnlyList<ReceivedRoute>> GetReceivedRoutesAsync(string name, CancellationToken cancellationToken)
    {
        var peer = PeersSnapshot().FirstOrDefault(p => p.Name == name)
            ?? throw new KeyNotFoundException($"No BGP peer named \"{name}\".");
        return peer.Session.GetReceivedRoutesAsync(cancellationToken);
    }

    /// <summary>
    /// Accepts BGP connections on <paramref name="local"/> and hands each to the peer whose address
    /// it comes from; connections from unknown addresses are closed at once. An IPv6 address
    /// (<c>[::]</c>) also takes IPv4 peers, as IPv4-mapped addresses, unless the socket factory
    /// turns dual mode off. Its SYN-ACKs leave with TTL 255 so that GTSM peers accept them; each
    /// peer's own TTL and GTSM minimum are set on its accepted socket (a listener is shared, the
    /// kernel keeps one minimum per socket).
    /// </summary>
    public void Listen(IPEndPoint local, Func<AddressFamily, Socket>? socketFactory = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        var socket = socketFactory?.Invoke(local.AddressFamily) ?? new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (local.AddressFamily == AddressFamily.InterNetworkV6 && local.Address.Equals(IPAddress.IPv6Any) && socketFactory is null)
        {
            socket.DualMode = true;
        }
        SocketTtl.ApplyToListener(socket);
        foreach (var peer in PeersSnapshot())
        {
            SetListenerKey(socket, peer.Endpoint);
        }
        socket.Bind(local);
        socket.Listen();
        lock (_lock)
        {
            _listeners.Add((socket, AcceptLoopAsync(socket)));
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var from = (accepted.RemoteEndPoint as IPEndPoint)?.Address;
            var peer = PeersSnapshot().FirstOrDefault(p => from is not null && Same(p.Endpoint.Remote.Address, from));
            if (peer is null)
            {
                accepted.Dispose();
                continue;
            }
            peer.Session.Accept(accepted);
        }
    }

    /// <summary>RFC 2385: a listener checks inbound segments against the key of each peer address.</summary>
    private static void SetListenerKey(Socket listener, PeerEndpoint endpoint)
    {
        if (endpoint.Password is { Length: > 0 } password && ListenerAddress(listener, endpoint) is { } address)
        {
            TcpMd5.Set(listener, address, password);
        }
    }

    /// <summary>The peer's address as <paramref name="listener"/> sees it (IPv4-mapped on a dual-stack one), or null if it cannot reach it.</summary>
    private static IPAddress? ListenerAddress(Socket listener, PeerEndpoint endpoint) =>
        endpoint.Remote.AddressFamily == listener.AddressFamily ? endpoint.Remote.Address
        : listener.AddressFamily == AddressFamily.InterNetworkV6 && listener.DualMode ? endpoint.Remote.Address.MapToIPv6()
        : null;

    /// <summary>A removed or re-keyed peer's key must not keep guarding its address (RFC 2385: an empty key deletes it).</summary>
    private static void ClearListenerKey(Socket listener, PeerEndpoint endpoint)
    {
        if (endpoint.Password is { Length: > 0 } && ListenerAddress(listener, endpoint) is { } address)
        {
            TcpMd5.Set(listener, address, "");
        }
    }

    private static bool Same(IPAddress configured, IPAddress seen) =>
        configured.Equals(seen) || (seen.IsIPv4MappedToIPv6 && configured.Equals(seen.MapToIPv4()));

    private List<Peer> PeersSnapshot()
    {
        lock (_lock)
        {
            return [.. _peers.Values];
        }
    }

    private List<(Socket Socket, Task Loop)> ListenersSnapshot()
    {
        lock (_lock)
        {
            return [.. _listeners];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (socket, loop) in ListenersSnapshot())
        {
            socket.Dispose();
            await loop.ConfigureAwait(false);
        }
        foreach (var peer in PeersSnapshot())
        {
            await peer.Session.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }

    private sealed record Peer(string Name, PeerOptions Options, PeerEndpoint Endpoint, bool Passive, PeerSession Session);
}
