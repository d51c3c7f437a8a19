using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace BgpLb.L2Fallback.Liveness;

/// <summary>
/// The liveness channel between daemons: authenticated UDP heartbeats (HMAC-SHA256 with a shared
/// key, epoch and sequence against replay) around a ring, with state changes broadcast; see
/// <see cref="Membership"/> for the protocol. Tells within a few hundred milliseconds, without the
/// Kubernetes API, which nodes' daemons are alive.
/// </summary>
public sealed class HeartbeatLiveness : IAsyncDisposable
{
    /// <summary>Below this many octets an HMAC-SHA256 key is too easy to guess.</summary>
    public const int MinKeyLength = 16;

    private readonly Membership _membership;
    private readonly ImmutableDictionary<string, IPEndPoint> _endpoints;
    private readonly IPEndPoint _bind;
    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LivenessOptions _options;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _startTimestamp;
    private readonly long[] _decodeErrors = new long[Enum.GetValues<LivenessDecodeError>().Length];
    private readonly long[] _dropReasons = new long[Enum.GetValues<LivenessDropReason>().Length];
    private long _sent;
    private volatile bool _silent;
    private Socket? _socket;
    private ITimer? _timer;
    private Task? _receiveLoop;

    public HeartbeatLiveness(string self, IPEndPoint bind, IEnumerable<LivenessMember> members, ReadOnlySpan<byte> key,
        LivenessOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(members);
        if (key.Length < MinKeyLength)
        {
            throw new ArgumentException($"The heartbeat key must be at least {MinKeyLength} octets, not {key.Length}.", nameof(key));
        }
        _bind = bind ?? throw new ArgumentNullException(nameof(bind));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _key = key.ToArray();
        _endpoints = members.Where(m => m.Name != self).ToImmutableDictionary(m => m.Name, m => m.Endpoint, StringComparer.Ordinal);
        _startTimestamp = time.GetTimestamp();
        _membership = new Membership(self, _endpoints.Keys, (ulong)time.GetUtcNow().ToUnixTimeMilliseconds(), options);
    }

    /// <summary>A member's status changed (raised on the heartbeat's own thread; handlers must be quick).</summary>
    public event Action<MemberEntry>? Changed;

    public long Sent => Interlocked.Read(ref _sent);

    public long DecodeErrors(LivenessDecodeError error) => Interlocked.Read(ref _decodeErrors[(int)error]);

    public long Dropped(LivenessDropReason reason) => Interlocked.Read(ref _dropReasons[(int)reason]);

    public bool IsAlive(string node)
    {
        lock (_lock)
        {
            return _membership.IsAlive(node, Now);
        }
    }

    public ImmutableArray<MemberEntry> View
    {
        get
        {
            lock (_lock)
            {
                return [.. _membership.Members.Select(_membership.EntryOf)];
            }
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_startTimestamp);

    /// <summary>
    /// Whether this node keeps quiet: it sends nothing but still listens, so its own view of the others
    /// stays current while they, hearing nothing, declare it dead and elect without it. For a node that
    /// must leave every election on purpose (a drained node). Speaking again raises this node's
    /// incarnation and broadcasts it (SWIM's refutation of its death), so the others take it back at once.
    /// May be set before <see cref="Start"/>.
    /// </summary>
    public bool Silent
    {
        get => _silent;
        set
        {
            var sends = new List<LivenessSend>();
            lock (_lock)
            {
                if (_silent == value)
                {
                    return;
                }
                _silent = value;
                if (!value && _socket is not null)
                {
                    _membership.Rejoin(sends);
                }
            }
            Send(sends);
        }
    }

    /// <summary>Binds the UDP socket (in the calling thread's network namespace) and starts heartbeating.</summary>
    public void Start()
    {
        _socket = new Socket(_bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (_bind.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _socket.DualMode = true;
        }
        _socket.Bind(_bind);
        var sends = new List<LivenessSend>();
        lock (_lock)
        {
            _membership.Start(Now, sends);
        }
        Send(sends);
        _receiveLoop = Task.Run(ReceiveLoop);
        _timer = _time.CreateTimer(_ => OnTick(), null, _options.HeartbeatInterval, _options.HeartbeatInterval);
    }

    private void OnTick()
    {
        var sends = new List<LivenessSend>();
        List<MemberEntry> changes;
        lock (_lock)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }
            _membership.Tick(Now, sends);
            changes = [.. _membership.Changes];
        }
        Send(sends);
        Notify(changes);
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[ushort.MaxValue];
        var from = new SocketAddress(_bind.AddressFamily);
        var room = from.Size;
        while (!_stop.IsCancellationRequested)
        {
            int length;
            try
            {
                from.Size = room;
                length = await _socket!.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from a dead member surfaces here as ECONNREFUSED: not ours to act on.
                continue;
            }
            Handle(buffer.AsSpan(0, length));
        }
    }

    private void Handle(ReadOnlySpan<byte> datagram)
    {
        var error = LivenessCodec.TryDecode(datagram, _key, out var message);
        if (error != LivenessDecodeError.None)
        {
            Interlocked.Increment(ref _decodeErrors[(int)error]);
            Log.DatagramRejected(_logger, error);
            return;
        }
        var sends = new List<LivenessSend>();
        List<MemberEntry> changes;
        LivenessDropReason reason;
        lock (_lock)
        {
            reason = _membership.Receive(message!, Now, sends);
            changes = [.. _membership.Changes];
        }
        Interlocked.Increment(ref _dropReasons[(int)reason]);
        if (reason != LivenessDropReason.None)
        {
            Log.DatagramIgnored(_logger, message!.Sender, reason);
        }
        Send(sends);
        Notify(changes);
    }

    private void Notify(List<MemberEntry> changes)
    {
        foreach (var change in changes)
        {
            Log.MemberChanged(_logger, change.Name, change.Status, change.Incarnation);
            if (Changed is not { } handlers)
            {
                continue;
            }
            foreach (var handler in handlers.GetInvocationList())
            {
                try
                {
                    ((Action<MemberEntry>)handler).Invoke(change);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // On the timer or receive thread: a subscriber's bug must not stop liveness itself.
                    Log.SubscriberFailed(_logger, change.Name, ex);
                }
            }
        }
    }

    private void Send(List<LivenessSend> sends)
    {
        if (_silent)
        {
            return;
        }
        foreach (var send in sends)
        {
            if (!_endpoints.TryGetValue(send.To, out var endpoint))
            {
                continue;
            }
            try
            {
                _socket!.SendTo(LivenessCodec.Encode(send.Message, _key), endpoint);
                Interlocked.Increment(ref _sent);
            }
            catch (SocketException)
            {
                // Unreachable member (no route while its link is down): the heartbeat's silence says the rest.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _stop.Cancel();
        }
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }
        _socket?.Dispose();
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
