using System.Collections.Immutable;
using System.Net.Sockets;
using BgpLb.BfdSession.Fsm;
using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession.Transport;

/// <summary>
/// Drives one <see cref="BfdFsm"/>: feeds it received packets and the expiry of its two timers
/// (transmit, detection: <see cref="ITimer"/>s of the injected <see cref="TimeProvider"/>), sends
/// what it builds through an <see cref="IPacketSink"/>, keeps the counters. Calls arrive from the
/// receive thread, the timer thread and the facade; one lock serialises them. State changes are
/// handed to <c>onTransition</c> under that lock: it must only enqueue.
/// </summary>
internal sealed class SessionRunner : IDisposable
{
    private readonly Lock _lock = new();
    private readonly BfdFsm _fsm;
    private readonly TimeProvider _time;
    private readonly IPacketSink _sink;
    private readonly Action<BfdReaction, BfdFsm> _onTransition;
    private readonly ITimer _transmitTimer;
    private readonly ITimer _detectionTimer;
    private readonly long[] _dropped = new long[Enum.GetValues<BfdDropReason>().Length];
    private long _transmitDue = long.MaxValue;
    private bool _disposed;

    private long _sent;
    private long _received;
    private long _sendErrors;
    private long _polls;
    private long _ups;
    private long _downs;

    public SessionRunner(BfdSessionParameters parameters, uint localDiscriminator, TimeProvider time, Random random, IPacketSink sink, Action<BfdReaction, BfdFsm> onTransition)
    {
        _fsm = new BfdFsm(parameters, localDiscriminator, random);
        _time = time;
        _sink = sink;
        _onTransition = onTransition;
        _transmitTimer = time.CreateTimer(static s => ((SessionRunner)s!).OnTransmitTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _detectionTimer = time.CreateTimer(static s => ((SessionRunner)s!).OnDetectionTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public uint LocalDiscriminator => _fsm.LocalDiscriminator;

    /// <summary>The last receive-side rejection, or the last send failure.</summary>
    public string? LastError { get; private set; }

    public BfdDropReason LastDropReason { get; private set; }

    /// <summary>When the first packet is sent: active sessions at once (§6.1), passive ones once they hear the peer.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_fsm.TransmitsPeriodically)
            {
                SendLocked(final: false);
                ArmTransmit(_fsm.NextTransmitDelay());
            }
        }
    }

    /// <summary>A packet demultiplexed to this session (wire checks passed).</summary>
    public void Receive(in BfdControlPacket packet, ReadOnlySpan<byte> raw)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var reaction = _fsm.Receive(packet, raw);
            if (reaction.Dropped != BfdDropReason.None)
            {
                CountDropLocked(reaction.Dropped);
                if (reaction.Dropped != BfdDropReason.SessionAdminDown)
                {
                    return;
                }
            }
            else
            {
                _received++;
            }
            ApplyLocked(reaction);
        }
    }

    /// <summary>A packet for this session rejected by the transport (TTL, source, interface).</summary>
    public void CountDrop(BfdDropReason reason)
    {
        lock (_lock)
        {
            CountDropLocked(reason);
        }
    }

    public void ChangeParameters(BfdSessionParameters parameters)
    {
        lock (_lock)
        {
            ApplyLocked(_fsm.ChangeParameters(parameters));
        }
    }

    public void AdminDown()
    {
        lock (_lock)
        {
            ApplyLocked(_fsm.AdminDown());
        }
    }

    public void AdminUp()
    {
        lock (_lock)
        {
            ApplyLocked(_fsm.AdminUp());
        }
    }

    /// <summary>A consistent view of the FSM and counters.</summary>
    public T Read<T>(Func<BfdFsm, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_lock)
        {
            return read(_fsm);
        }
    }

    public BfdSessionCounters Counters()
    {
        lock (_lock)
        {
            var dropped = ImmutableDictionary.CreateBuilder<BfdDropReason, long>();
            for (var i = 0; i < _dropped.Length; i++)
            {
                if (_dropped[i] != 0)
                {
                    dropped[(BfdDropReason)i] = _dropped[i];
                }
            }
            return new BfdSessionCounters
            {
                PacketsSent = _sent,
                PacketsReceived = _received,
                SendErrors = _sendErrors,
                PollSequences = _polls,
                UpTransitions = _ups,
                DownTransitions = _downs,
                Dropped = dropped.ToImmutable(),
            };
        }
    }

    private void OnTransmitTimer()
    {
        lock (_lock)
        {
            _transmitDue = long.MaxValue;
            if (_disposed || !_fsm.TransmitsPeriodically)
            {
                return;
            }
            SendLocked(final: false);
            ArmTransmit(_fsm.NextTransmitDelay());
        }
    }

    private void OnDetectionTimer()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            ApplyLocked(_fsm.DetectionTimeExpired());
        }
    }

    private void ApplyLocked(in BfdReaction reaction)
    {
        if (reaction.Has(BfdReactionFlags.PollStarted))
        {
            _polls++;
        }
        if (reaction.StateChanged)
        {
            if (reaction.To == BfdState.Up)
            {
                _ups++;
            }
            else if (reaction.From == BfdState.Up)
            {
                _downs++;
            }
            _onTransition(reaction, _fsm);
        }
        if (reaction.Has(BfdReactionFlags.SendFinal))
        {
            // The Final also carries any new state: one packet does for both.
            SendLocked(final: true);
        }
        else if (reaction.Has(BfdReactionFlags.SendNow))
        {
            SendLocked(final: false);
        }
        if (reaction.Has(BfdReactionFlags.StopDetection))
        {
            _detectionTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        else if (reaction.Has(BfdReactionFlags.RestartDetection) && _fsm.DetectionTime > TimeSpan.Zero)
        {
            _detectionTimer.Change(_fsm.DetectionTime, Timeout.InfiniteTimeSpan);
        }
        if (reaction.Has(BfdReactionFlags.TransmitScheduleChanged) || reaction.Has(BfdReactionFlags.SendNow))
        {
            Replan();
        }
    }

    // The next periodic packet: none when the FSM says not to send; otherwise keep the pending one
    // unless it is due later than a whole new (jittered) interval from now, e.g. after going Up.
    private void Replan()
    {
        if (!_fsm.TransmitsPeriodically)
        {
            _transmitDue = long.MaxValue;
            _transmitTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var delay = _fsm.NextTransmitDelay();
        var now = _time.GetTimestamp();
        if (_transmitDue == long.MaxValue || _time.GetElapsedTime(now, _transmitDue) > delay)
        {
            ArmTransmit(delay);
        }
    }

    private void ArmTransmit(TimeSpan delay)
    {
        _transmitDue = _time.GetTimestamp() + (long)(delay.Ticks * ((double)_time.TimestampFrequency / TimeSpan.TicksPerSecond));
        _transmitTimer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private void SendLocked(bool final)
    {
        var packet = _fsm.NextPacket(final);
        Span<byte> buffer = stackalloc byte[BfdControlPacket.MaxWrittenLength];
        BfdPacketWriter.TryWrite(packet, _fsm.Parameters.Auth, buffer, out var written);
        try
        {
            _sink.Send(buffer[..written]);
            _sent++;
        }
        catch (SocketException ex)
        {
            _sendErrors++;
            LastError = $"send: {ex.SocketErrorCode}: {ex.Message}";
        }
        catch (ObjectDisposedException)
        {
            _sendErrors++;
            LastError = "send: the session's socket is closed";
        }
    }

    private void CountDropLocked(BfdDropReason reason)
    {
        _dropped[(int)reason]++;
        LastDropReason = reason;
        LastError = $"dropped a received packet: {reason}";
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }
        _transmitTimer.Dispose();
        _detectionTimer.Dispose();
    }
}
