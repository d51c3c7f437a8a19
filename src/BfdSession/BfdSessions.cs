using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Net.Sockets;
using System.Threading.Channels;
using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Transport;
using BgpLb.BfdSession.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BgpLb.BfdSession;

/// <summary>
/// The BFD engine's facade: sessions by <see cref="BfdPeer"/> with a <see cref="BfdProfile"/>,
/// added, changed in place (a Poll Sequence, no flap, same discriminator) and removed (the peer
/// is told AdminDown first); state changes to subscribers; status with counters. Received packets
/// are demultiplexed by Your Discriminator, or by addresses when it is zero (RFC 5880 §6.3).
/// Receive threads, the timer thread and callers never share anything but per-session locks and
/// immutable lookup tables.
/// </summary>
public sealed partial class BfdSessions : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly PrecisionTimeProvider? _ownTime;
    private readonly Func<AddressFamily, Socket> _socketFactory;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<BfdPeer, Session> _sessions = [];
    private readonly Dictionary<(AddressFamily Family, bool Multihop), BfdReceiver> _receivers = [];
    private readonly long[] _unmatched = new long[Enum.GetValues<BfdDropReason>().Length];
    private readonly Channel<BfdStateChange> _changes = Channel.CreateUnbounded<BfdStateChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _notifier;
    private volatile Tables _tables = Tables.Empty;
    private bool _disposed;

    public BfdSessions(BfdSessionsOptions? options = null)
    {
        options ??= new BfdSessionsOptions();
        if (options.Time is null)
        {
            _ownTime = new PrecisionTimeProvider();
        }
        _time = options.Time ?? _ownTime!;
        _socketFactory = options.SocketFactory ?? (family => new Socket(family, SocketType.Dgram, ProtocolType.Udp));
        _random = options.Random ?? new Random();
        _logger = (options.Loggers ?? NullLoggerFactory.Instance).CreateLogger("BgpLb.BfdSession");
        _notifier = Task.Run(NotifyAsync);
    }

    /// <summary>Raised, in order, on a notification task (never on the timer or receive threads) for every state change.</summary>
    public event EventHandler<BfdStateChange>? StateChanged;

    /// <summary>Packets discarded before a session was found (wire checks, unknown discriminator, no session for the addresses).</summary>
    public ImmutableDictionary<BfdDropReason, long> UnmatchedDrops
    {
        get
        {
            var builder = ImmutableDictionary.CreateBuilder<BfdDropReason, long>();
            for (var i = 0; i < _unmatched.Length; i++)
            {
                var n = Interlocked.Read(ref _unmatched[i]);
                if (n != 0)
                {
                    builder[(BfdDropReason)i] = n;
                }
            }
            return builder.ToImmutable();
        }
    }

    /// <summary>Receive-side socket errors (the receiver keeps running).</summary>
    public string? LastReceiveError { get; private set; }

    /// <summary>
    /// Adds a session for <paramref name="peer"/>, or applies a changed <paramref name="profile"/>
    /// to the existing one in place. Throws <see cref="BfdConfigurationException"/> naming every
    /// invalid field, and SocketException when the sockets cannot be opened.
    /// </summary>
    public BfdSessionStatus AddOrUpdate(BfdPeer peer, BfdProfile profile)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(profile);
        var errors = profile.Validate().Concat(ValidatePeer(peer)).ToList();
        if (errors.Count > 0)
        {
            throw new BfdConfigurationException(errors);
        }
        Session session;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sessions.TryGetValue(peer, out var existing))
            {
                if (existing.Profile != profile)
                {
                    existing.Profile = profile;
                    existing.Runner.ChangeParameters(profile.ToParameters());
                    Log.SessionUpdated(_logger, peer, profile);
                }
                return Status(existing);
            }
            EnsureReceiver(peer.LocalAddress.AddressFamily, peer.Multihop);
            var socket = SessionSocket.Open(peer, _socketFactory, PortInUse, _random);
            var discriminator = NewDiscriminator();
            var runner = new SessionRunner(profile.ToParameters(), discriminator, _time, new Random(_random.Next()), socket,
                (reaction, fsm) => _changes.Writer.TryWrite(new BfdStateChange(peer, reaction.From, reaction.To, reaction.Diagnostic, fsm.RemoteDiagnostic, _time.GetUtcNow())));
            session = new Session(peer, profile, socket, runner);
            _sessions.Add(peer, session);
            _tables = Tables.Build(_sessions.Values);
            Log.SessionAdded(_logger, peer, discriminator, socket.SourcePort, profile);
        }
        session.Runner.Start();
        return Status(session);
    }

    /// <summary>
    /// Removes a session: it goes AdminDown (diagnostic 7, RFC 5880 §6.8.16) so the peer learns it
    /// was deliberate, keeps sending that for one transmit interval (at most 1 s), then closes.
    /// False when there was no such session.
    /// </summary>
    public async Task<bool> RemoveAsync(BfdPeer peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        Session? session;
        lock (_lock)
        {
            if (!_sessions.Remove(peer, out session))
            {
                return false;
            }
            _tables = Tables.Build(_sessions.Values);
        }
        await RetireAsync([session], cancellationToken).ConfigureAwait(false);
        Log.SessionRemoved(_logger, peer);
        return true;
    }

    /// <summary>Takes a session administratively down (true) or back up (false) without removing it.</summary>
    public bool SetAdminDown(BfdPeer peer, bool down)
    {
        var session = Find(peer);
        if (session is null)
        {
            return false;
        }
        if (down)
        {
            session.Runner.AdminDown();
        }
        else
        {
            session.Runner.AdminUp();
        }
        return true;
    }

    public IReadOnlyList<BfdSessionStatus> Sessions => _tables.All.Select(Status).ToList();

    public BfdSessionStatus? Get(BfdPeer peer) => Find(peer) is { } session ? Status(session) : null;

    private Session? Find(BfdPeer peer)
    {
        lock (_lock)
        {
            return _sessions.GetValueOrDefault(peer);
        }
    }

    private static BfdSessionStatus Status(Session session)
    {
        var status = session.Runner.Read(fsm => new BfdSessionStatus
        {
            Peer = session.Peer,
            Profile = session.Profile,
            State = fsm.State,
            RemoteState = fsm.RemoteState,
            LocalDiscriminator = fsm.LocalDiscriminator,
            RemoteDiscriminator = fsm.RemoteDiscriminator,
            LocalDiagnostic = fsm.LocalDiagnostic,
            RemoteDiagnostic = fsm.RemoteDiagnostic,
            TransmitInterval = fsm.TransmitInterval,
            DetectionTime = fsm.DetectionTime,
            RemoteDesiredMinTxInterval = TimeSpan.FromMicroseconds(fsm.RemoteDesiredMinTxInterval),
            RemoteRequiredMinRxInterval = TimeSpan.FromMicroseconds(fsm.RemoteMinRxInterval),
            RemoteDetectMultiplier = fsm.RemoteDetectMultiplier,
            PollActive = fsm.PollActive,
            SourcePort = session.Socket.SourcePort,
            Counters = new BfdSessionCounters(),
            LastError = session.Runner.LastError,
        });
        return status with { Counters = session.Runner.Counters() };
    }

    private static IEnumerable<BfdConfigError> ValidatePeer(BfdPeer peer)
    {
        if (peer.Address.AddressFamily != peer.LocalAddress.AddressFamily)
        {
            yield return new("localAddress", $"{peer.LocalAddress} is not of the peer {peer.Address}'s address family");
        }
        if (peer.Multihop && peer.Interface is not null)
        {
            yield return new("interface", "a multi-hop session (RFC 5883) is not bound to an interface");
        }
        if (peer.Address.IsIPv6LinkLocal && peer.Interface is null && peer.Address.ScopeId == 0)
        {
            yield return new("interface", $"the link-local peer {peer.Address} needs an interface");
        }
    }

    private void EnsureReceiver(AddressFamily family, bool multihop)
    {
        if (_receivers.ContainsKey((family, multihop)))
        {
            return;
        }
        var socket = _socketFactory(family);
        try
        {
            _receivers[(family, multihop)] = new BfdReceiver(socket, multihop, Dispatch, ex =>
            {
                LastReceiveError = ex.Message;
                Log.ReceiveFailed(_logger, multihop ? "multi-hop" : "single-hop", ex.Message);
            });
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool PortInUse(int port) => _sessions.Values.Any(s => s.Socket.SourcePort == port);

    // §6.8.1: bfd.LocalDiscr is nonzero and unique among our sessions.
    private uint NewDiscriminator()
    {
        while (true)
        {
            var candidate = (uint)_random.NextInt64(1, 1L << 32);
            if (!_sessions.Values.Any(s => s.Runner.LocalDiscriminator == candidate))
            {
                return candidate;
            }
        }
    }

    private async Task RetireAsync(IReadOnlyList<Session> sessions, CancellationToken cancellationToken)
    {
        var linger = TimeSpan.Zero;
        foreach (var session in sessions)
        {
            session.Runner.AdminDown();
            var interval = session.Runner.Read(fsm => fsm.TransmitInterval);
            linger = TimeSpan.FromTicks(Math.Max(linger.Ticks, Math.Min(interval.Ticks, TimeSpan.TicksPerSecond)));
        }
        try
        {
            await DelayAsync(linger, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var session in sessions)
            {
                session.Runner.Dispose();
                session.Socket.Dispose();
            }
        }
    }

    // Not Task.Delay(_time): with the PrecisionTimeProvider its completion, and so everything after
    // the await (our caller's code too), would run on the timer thread and hold up every session.
    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = _time.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), done, delay, Timeout.InfiniteTimeSpan);
        using var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        await done.Task.ConfigureAwait(false);
    }

    private async Task NotifyAsync()
    {
        await foreach (var change in _changes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Log.StateChanged(_logger, change.Peer, change.From, change.To, change.Diagnostic, change.RemoteDiagnostic);
            try
            {
                StateChanged?.Invoke(this, change);
            }
#pragma warning disable CA1031 // A subscriber's bug must not stop notifications to the others; it is logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SubscriberFailed(_logger, ex.ToString());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Session> sessions;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            sessions = [.. _sessions.Values];
            _sessions.Clear();
            _tables = Tables.Empty;
        }
        await RetireAsync(sessions, CancellationToken.None).ConfigureAwait(false);
        foreach (var receiver in _receivers.Values)
        {
            receiver.Dispose();
        }
        _changes.Writer.TryComplete();
        await _notifier.ConfigureAwait(false);
        _ownTime?.Dispose();
    }

    private sealed class Session(BfdPeer peer, BfdProfile profile, SessionSocket socket, SessionRunner runner)
    {
        private volatile BfdProfile _profile = profile;

        public BfdPeer Peer { get; } = peer;
        public RawAddress PeerAddress { get; } = RawAddress.From(peer.Address);
        public RawAddress LocalAddress { get; } = RawAddress.From(peer.LocalAddress);
        public SessionSocket Socket { get; } = socket;
        public SessionRunner Runner { get; } = runner;

        /// <summary>Replaced by AddOrUpdate, read by the receive thread (MinimumTtl).</summary>
        public BfdProfile Profile
        {
            get => _profile;
            set => _profile = value;
        }
    }

    /// <summary>Immutable lookup tables for the receive threads, rebuilt on every add and remove.</summary>
    private sealed record Tables(FrozenDictionary<uint, Session> ByDiscriminator, Session[] All)
    {
        public static readonly Tables Empty = new(FrozenDictionary<uint, Session>.Empty, []);

        public static Tables Build(IEnumerable<Session> sessions)
        {
            var all = sessions.ToArray();
            return new Tables(all.ToFrozenDictionary(s => s.Runner.LocalDiscriminator), all);
        }
    }
}
