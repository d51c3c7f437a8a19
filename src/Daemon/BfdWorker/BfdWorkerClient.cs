using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.BfdWorker;

/// <summary>
/// The daemon's side of the BFD worker (<see cref="BfdWorkerCommand"/>): starts the process on the
/// first session, sends it requests one at a time and awaits each reply, and raises the state
/// changes it reports. It keeps every session it was asked for, so that when the worker dies it
/// can say which sessions were Up (they are lost: the peers will declare them down) and, after a
/// bounded backoff, start a new worker and create them all again.
/// </summary>
internal sealed class BfdWorkerClient(IReadOnlyList<string> command, ILogger log) : IAsyncDisposable
{
    /// <summary>A request (even a removal, which sends AdminDown for up to 1 s) is answered in well under this.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>A worker that lived this long was healthy: the next restart starts from the first backoff again.</summary>
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private readonly string _commandLine = string.Join(' ', command);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<uint, ConfigureSession> _desired = [];
    private readonly ConcurrentDictionary<uint, BfdState> _states = new();
    private readonly CancellationTokenSource _disposing = new();
    private Worker? _worker;
    private Task _restart = Task.CompletedTask;
    private int _failures;

    /// <summary>A session changed state; raised on the worker's reader task, in the order the worker reported them.</summary>
    public event Action<SessionStateChanged>? StateChanged;

    /// <summary>The worker died: the ids of the sessions that were Up (now lost). Raised before the restart is scheduled.</summary>
    public event Action<IReadOnlyList<uint>>? WorkerLost;

    /// <summary>The process id of the running worker, if any.</summary>
    public int? WorkerProcessId => _worker is { Exited: false } w ? w.Process.Id : null;

    /// <summary>
    /// Creates the session, or applies a changed profile in place; the state it is in. While the
    /// worker is down it only records the session, which the next worker creates.
    /// </summary>
    public async Task<BfdState> ConfigureAsync(uint id, BfdPeer peer, BfdProfile profile, CancellationToken cancellationToken)
    {
        var request = new ConfigureSession(id, peer, profile);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _desired.TryGetValue(id, out var previous);
            _desired[id] = request;
            if (Running() is not { } worker)
            {
                return BfdState.Down;
            }
            var reply = await worker.RequestAsync(request, cancellationToken).ConfigureAwait(false);
            if (reply is SessionRefused refused)
            {
                if (previous is null)
                {
                    _desired.Remove(id);
                }
                else
                {
                    _desired[id] = previous;
                }
                throw new BfdWorkerException($"BFD session {peer} refused: {refused.Reason}");
            }
            return ((SessionConfigured)reply).State;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the session: AdminDown to the peer first (RFC 5880 §6.8.16), then closed.</summary>
    public async Task RemoveAsync(uint id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _states.TryRemove(id, out _);
            if (_desired.Remove(id) && _worker is { Exited: false } worker)
            {
                await worker.RequestAsync(new RemoveSession(id), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The session's state, timers and counters as the worker has them; null when it has no such session (or is down).</summary>
    public async Task<WorkerSessionStatus?> QueryAsync(uint id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _worker is { Exited: false } worker
                ? ((SessionStatusReport)await worker.RequestAsync(new QuerySession(id), cancellationToken).ConfigureAwait(false)).Status
                : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The live worker, started if there is none yet; null while a dead one waits for its restart.</summary>
    private Worker? Running()
    {
        if (_worker is null)
        {
            _worker = Start();
        }
        return _worker.Exited ? null : _worker;
    }

    private Worker Start()
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Log.BfdWorkerOutput(log, line);
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        Log.BfdWorkerStarted(log, process.Id, _commandLine);
        var worker = new Worker(process);
        worker.Reader = Task.Run(() => ReadAsync(worker));
        return worker;
    }

    private async Task ReadAsync(Worker worker)
    {
        var reader = PipeReader.Create(worker.Process.StandardOutput.BaseStream);
        string why;
        try
        {
            why = await ReadFramesAsync(reader, worker).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            why = $"reading its output failed: {e.Message}";
        }
        await reader.CompleteAsync().ConfigureAwait(false);
        Lost(worker, why);
    }

    /// <summary>Dispatches frames until the output ends or breaks the protocol; why it stopped.</summary>
    private async Task<string> ReadFramesAsync(PipeReader reader, Worker worker)
    {
        while (true)
        {
            var read = await reader.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            OperationStatus status;
            WorkerMessage? message;
            WorkerFrameError error;
            while ((status = WorkerCodec.TryRead(ref buffer, out message, out error)) == OperationStatus.Done)
            {
                if (message is SessionStateChanged change)
                {
                    _states[change.Id] = change.To;
                    StateChanged?.Invoke(change);
                }
                else if (!worker.Reply(message!))
                {
                    return $"it sent {message!.Type} for session {message.Id} with no request outstanding";
                }
            }
            if (status == OperationStatus.InvalidData)
            {
                return $"it sent a malformed frame ({error})";
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                return "its output ended";
            }
        }
    }

    /// <summary>
    /// The worker is gone: its sessions stopped sending, so the peers declare them down within their
    /// detection time; those that were Up are reported lost at once (BGP must not outlive its BFD,
    /// RFC 5882 §4.3), and a new worker is started after a backoff that doubles while workers keep dying young.
    /// </summary>
    private void Lost(Worker worker, string why)
    {
        worker.Fail(why);
        if (_disposing.IsCancellationRequested)
        {
            return;
        }
        worker.Kill();
        worker.Process.WaitForExit(TimeSpan.FromSeconds(5));
        var code = worker.Process.HasExited ? worker.Process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        var wereUp = _states.Where(s => s.Value == BfdState.Up).Select(s => s.Key).ToList();
        foreach (var id in _states.Keys)
        {
            _states[id] = BfdState.Down;
        }
        if (DateTime.UtcNow - worker.Started > StableAfter)
        {
            _failures = 0;
        }
        var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << Math.Min(_failures, 10)));
        _failures++;
        Log.BfdWorkerLost(log, worker.Process.Id, code, why, wereUp.Count, backoff.TotalSeconds);
        WorkerLost?.Invoke(wereUp);
        _restart = RestartAsync(worker, backoff);
    }

    private async Task RestartAsync(Worker dead, TimeSpan backoff)
    {
        try
        {
            await Task.Delay(backoff, _disposing.Token).ConfigureAwait(false);
            await _gate.WaitAsync(_disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            if (_worker != dead)
            {
                return;
            }
            var worker = _worker = Start();
            foreach (var request in _desired.Values.ToList())
            {
                if (await worker.RequestAsync(request, _disposing.Token).ConfigureAwait(false) is SessionRefused refused)
                {
                    Log.BfdWorkerRefused(log, request.Peer, refused.Reason);
                }
            }
        }
        catch (Exception e) when (e is BfdWorkerException or OperationCanceledException)
        {
            // The new worker died too (its own Lost schedules the next try), or we are stopping.
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        if (_worker is { } worker)
        {
            // End of input: the worker takes every session AdminDown and exits.
            await worker.Process.StandardInput.BaseStream.DisposeAsync().ConfigureAwait(false);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await worker.Process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                worker.Kill();
            }
            await worker.Reader.ConfigureAwait(false);
            worker.Process.Dispose();
        }
        await _restart.ConfigureAwait(false);
        _gate.Dispose();
        _disposing.Dispose();
    }

    /// <summary>One worker process: its request pipe and the replies it owes, in order (it answers requests in the order it reads them).</summary>
    private sealed class Worker(Process process)
    {
        private readonly Queue<TaskCompletionSource<WorkerMessage>> _pending = new();
        private readonly ArrayBufferWriter<byte> _frame = new(WorkerCodec.LengthSize + WorkerCodec.MaxFrameLength);
        private readonly Lock _lock = new();
        private string? _failed;

        public Process Process => process;

        public DateTime Started { get; } = DateTime.UtcNow;

        public Task Reader { get; set; } = Task.CompletedTask;

        public bool Exited => Volatile.Read(ref _failed) is not null;

        public async Task<WorkerMessage> RequestAsync(WorkerMessage request, CancellationToken cancellationToken)
        {
            var reply = new TaskCompletionSource<WorkerMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                if (_failed is { } why)
                {
                    throw new BfdWorkerException($"the BFD worker is gone: {why}");
                }
                _pending.Enqueue(reply);
                _frame.ResetWrittenCount();
                WorkerCodec.Write(_frame, request);
                try
                {
                    process.StandardInput.BaseStream.Write(_frame.WrittenSpan);
                    process.StandardInput.BaseStream.Flush();
                }
                catch (IOException e)
                {
                    // The reader sees the end of the output and fails this request with the rest.
                    reply.TrySetException(new BfdWorkerException($"the BFD worker is gone: {e.Message}"));
                }
            }
            try
            {
                return await reply.Task.WaitAsync(ReplyTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A worker that does not answer cannot be trusted to keep time either: replace it.
                Kill();
                throw new BfdWorkerException($"the BFD worker did not answer {request.Type} within {ReplyTimeout.TotalSeconds} s; killed");
            }
        }

        /// <summary>Completes the oldest request; false when none was outstanding.</summary>
        public bool Reply(WorkerMessage message)
        {
            TaskCompletionSource<WorkerMessage>? pending;
            lock (_lock)
            {
                _pending.TryDequeue(out pending);
            }
            return pending?.TrySetResult(message) ?? false;
        }

        public void Kill()
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
        }

        public void Fail(string why)
        {
            lock (_lock)
            {
                _failed = why;
                while (_pending.TryDequeue(out var pending))
                {
                    pending.TrySetException(new BfdWorkerException($"the BFD worker is gone: {why}"));
                }
            }
        }
    }
}
