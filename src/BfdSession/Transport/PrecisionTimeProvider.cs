using System.Diagnostics;

namespace BgpLb.BfdSession.Transport;

/// <summary>
/// A <see cref="TimeProvider"/> whose timers fire on one dedicated thread instead of the thread
/// pool. BFD at 10 ms intervals cannot wait for a pool thread when the pool is busy (a route table
/// being parsed, a burst of work): a Control packet 30 ms late is a false Down at the peer. The
/// thread sleeps on a monitor until the earliest due time (millisecond resolution, rounded up, so
/// a timer is never early), runs the due callbacks in order and sleeps again. Callbacks must be
/// short (build and send one packet); they all share the thread. Hence no <c>Task.Delay</c> on
/// this provider: the awaiting code would continue on the timer thread and hold it up (use a
/// timer completing a <c>TaskCompletionSource</c> created with RunContinuationsAsynchronously).
/// Time itself (<see cref="TimeProvider.GetTimestamp"/>) is the system's monotonic clock.
/// </summary>
public sealed class PrecisionTimeProvider : TimeProvider, IDisposable
{
    private readonly object _gate = new();
    private readonly PriorityQueue<(PrecisionTimer Timer, long Version), long> _queue = new();
    private readonly Thread _thread;
    private bool _disposed;

    public PrecisionTimeProvider(string name = "bfd-timers")
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name, Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    /// <summary>Callbacks that threw (the exception is swallowed so that other sessions' timers keep running).</summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    private long _callbackFailures;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new PrecisionTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    internal void Schedule(PrecisionTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            timer.Version++;
            timer.Period = period;
            if (dueTime == Timeout.InfiniteTimeSpan || _disposed)
            {
                return;
            }
            var due = GetTimestamp() + ToStopwatchTicks(dueTime);
            _queue.Enqueue((timer, timer.Version), due);
            Monitor.Pulse(_gate);
        }
    }

    internal void Cancel(PrecisionTimer timer)
    {
        lock (_gate)
        {
            timer.Version++;
            timer.Period = Timeout.InfiniteTimeSpan;
        }
    }

    /// <summary>The scheduling class the timer thread obtained (SCHED_FIFO when privileged, see <see cref="NativeThread"/>).</summary>
    public ThreadScheduling Scheduling { get; private set; }

    private void Run()
    {
        Scheduling = NativeThread.RaiseCurrent();
        lock (_gate)
        {
            while (!_disposed)
            {
                if (!_queue.TryPeek(out var entry, out var due))
                {
                    Monitor.Wait(_gate);
                    continue;
                }
                if (entry.Version != entry.Timer.Version)
                {
                    _queue.Dequeue();
                    continue;
                }
                var remaining = due - GetTimestamp();
                if (remaining > 0)
                {
                    // Rounded up to whole milliseconds (Monitor.Wait's unit): late by under 1 ms, never early.
                    var ms = (int)Math.Min(int.MaxValue, ((remaining * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
                    Monitor.Wait(_gate, Math.Max(1, ms));
                    continue;
                }
                _queue.Dequeue();
                var timer = entry.Timer;
                if (timer.Period != Timeout.InfiniteTimeSpan)
                {
                    _queue.Enqueue((timer, timer.Version), due + ToStopwatchTicks(timer.Period));
                }
                Monitor.Exit(_gate);
                try
                {
                    timer.Callback(timer.State);
                }
#pragma warning disable CA1031 // One session's bug must not stop every session's timers; it is counted.
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _callbackFailures);
                }
                finally
                {
                    Monitor.Enter(_gate);
                }
            }
        }
    }

    private static long ToStopwatchTicks(TimeSpan span) => (long)(span.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _queue.Clear();
            Monitor.Pulse(_gate);
        }
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    internal sealed class PrecisionTimer(PrecisionTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;
        public object? State { get; } = state;

        /// <summary>Bumped by every Change / Dispose: queue entries of an older version are stale.</summary>
        public long Version { get; set; }

        public TimeSpan Period { get; set; } = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Cancel(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
