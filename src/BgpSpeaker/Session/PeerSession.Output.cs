using System.IO.Pipelines;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>
/// Bounded output. The loop writes into the connection's send pipe and never awaits the peer:
/// a flush that the pipe holds back (more than <see cref="PeerEndpoint.OutputBudget"/> unsent) is
/// awaited in the background and reported back as <see cref="Drained"/>. No further UPDATEs are
/// built from the Adj-RIB-Out while the budget is spent; its changes stay dirty (and coalesce)
/// until the peer has read. When bytes written are still unsent after the stall timeout, the
/// peer cannot keep up and the connection is dropped with that error.
/// </summary>
public sealed partial class PeerSession
{
    /// <summary>The budget must hold at least one message of the largest size (RFC 8654: 65,535 octets).</summary>
    public const int MinOutputBudget = BgpHeader.ExtendedMaxMessageLength;

    /// <summary>RFC 4271 §10's suggested Hold Time: the stall timeout when no hold time applies.</summary>
    private static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(90);

    /// <summary>End-of-RIB (RFC 4724 §2) goes out once the initial routes are all written.</summary>
    private bool _endOfRibDue;

    private void Write(Attempt attempt, BgpMessage message)
    {
        if (attempt.Connection is not { } connection)
        {
            return;
        }
        MessageWriter.Write(connection.Output, message, attempt.Fsm.Session?.Codec ?? CodecOptions.Default);
        Flush(attempt);
    }

    /// <summary>
    /// As many pending route changes as the budget allows, then End-of-RIB if the initial dump is
    /// complete. Called when routes change, when the session comes up, and when output drains.
    /// </summary>
    private void WriteRoutes()
    {
        var attempt = _main;
        if (_builder is null || attempt.Connection is not { } connection || attempt.Fsm.State != BgpState.Established)
        {
            return;
        }
        while (!connection.Flushing && (_rib.HasChanges || _endOfRibDue))
        {
            var room = _endpoint.OutputBudget - connection.Unsent;
            if (room <= 0)
            {
                Watch(attempt); // the stall check comes back here once the peer has read
                return;
            }
            UpdatesSent += _rib.WriteChanges(connection.Output, _builder, room);
            if (!_rib.HasChanges && _endOfRibDue)
            {
                _endOfRibDue = false;
                foreach (var family in attempt.Fsm.Session!.Families)
                {
                    _builder.WriteEndOfRib(connection.Output, family);
                }
            }
            Flush(attempt);
        }
    }

    /// <summary>Hands what was written to the pipe; the peer's reading is awaited off the loop.</summary>
    private void Flush(Attempt attempt)
    {
        if (attempt.Connection is not { } connection)
        {
            return;
        }
        if (connection.Flushing)
        {
            connection.FlushAgain = true; // one flush at a time on a PipeWriter
            return;
        }
        ValueTask<FlushResult> flush;
        try
        {
            flush = connection.Pipe.Output.FlushAsync(_stopping.Token);
        }
        catch (InvalidOperationException ex)
        {
            _inputs.Writer.TryWrite(new ConnectFailed(attempt.ConnectionId, ex.Message)); // the pipe is already closed
            return;
        }
        if (!flush.IsCompleted)
        {
            connection.Flushing = true;
            _ = AwaitFlushAsync(flush, attempt.ConnectionId);
        }
        Watch(attempt);
    }

    private async Task AwaitFlushAsync(ValueTask<FlushResult> flush, int connectionId)
    {
        try
        {
            await flush.ConfigureAwait(false);
            _inputs.Writer.TryWrite(new Drained(connectionId));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _inputs.Writer.TryWrite(new ConnectFailed(connectionId, ex.Message));
        }
    }

    private void OnDrained(Drained drained)
    {
        if (Owner(drained.ConnectionId) is not { Connection: { } connection } attempt)
        {
            return;
        }
        connection.Flushing = false;
        if (connection.FlushAgain)
        {
            connection.FlushAgain = false;
            Flush(attempt);
        }
        if (attempt == _main)
        {
            WriteRoutes();
        }
    }

    /// <summary>Arms the stall check while anything is unsent: it notes how much had been written by now.</summary>
    private void Watch(Attempt attempt)
    {
        if (attempt.Connection is not { } connection || connection.StallTimer is not null || connection.Unsent <= 0)
        {
            return;
        }
        connection.StallMark = connection.Output.Written;
        var id = attempt.ConnectionId;
        connection.StallTimer = _time.CreateTimer(_ => _inputs.Writer.TryWrite(new StallCheck(id)), null, StallTimeout(attempt), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The stall timeout has passed since <see cref="Watch"/>: if what had been written then is
    /// sent, the peer is reading (perhaps slowly) and the watch starts again; otherwise the peer has
    /// not drained its output for that long and the connection goes (RFC 4271 event 18).
    /// </summary>
    private void OnStallCheck(StallCheck check)
    {
        if (Owner(check.ConnectionId) is not { Connection: { } connection } attempt)
        {
            return;
        }
        connection.StallTimer?.Dispose();
        connection.StallTimer = null;
        if (connection.Pipe.BytesSent >= connection.StallMark)
        {
            Watch(attempt);
            if (attempt == _main)
            {
                WriteRoutes();
            }
            return;
        }
        var timeout = StallTimeout(attempt);
        var error = $"peer {_endpoint.Remote} cannot keep up: {connection.Unsent} bytes unsent for {timeout.TotalSeconds:0} s";
        LastConnectionError = error;
        Log.CannotKeepUp(_logger, _endpoint.Remote, connection.Unsent, timeout);
        connection.Abort = true; // nothing more will get through: no graceful close
        Apply(attempt, new TcpConnectionFails(error));
    }

    /// <summary>Configured, else the negotiated Hold Time (the peer would drop us for silence as long), else 90 s.</summary>
    private TimeSpan StallTimeout(Attempt attempt) =>
        _endpoint.StallTimeout
        ?? (attempt.Fsm.Session?.HoldTime is { } hold && hold > TimeSpan.Zero ? hold
            : _options.HoldTime > 0 ? TimeSpan.FromSeconds(_options.HoldTime) : DefaultStallTimeout);

    private sealed record Drained(int ConnectionId) : ConnectionEvent(ConnectionId);

    private sealed record StallCheck(int ConnectionId) : ConnectionEvent(ConnectionId);
}
