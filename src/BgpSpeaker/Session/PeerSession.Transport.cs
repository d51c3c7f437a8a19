using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Wire;
using Pipelines.Sockets.Unofficial;

namespace BgpLb.BgpSpeaker.Session;

/// <summary>Sockets: connect, the per-peer socket options, framing reads, graceful close.</summary>
public sealed partial class PeerSession
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly List<Task> _closing = [];

    /// <summary>Received messages queued to the loop per connection, at most (at 4,096 octets each, 1 MiB).</summary>
    internal const int MaxQueuedMessages = 256;

    private sealed class Connection(Socket socket, SocketConnection pipe, bool inbound)
    {
        public Socket Socket { get; } = socket;

        public SocketConnection Pipe { get; } = pipe;

        /// <summary>What the loop writes goes through here, counted.</summary>
        public CountingWriter Output { get; } = new(pipe.Output);

        /// <summary>The peer opened it (RFC 4271 §6.8 needs to know who initiated each connection).</summary>
        public bool Inbound { get; } = inbound;

        public Task? Reader { get; set; }

        /// <summary>
        /// Received messages the loop has not taken yet may not exceed <see cref="MaxQueuedMessages"/>:
        /// beyond that the reader stops reading, the kernel's receive window fills, and TCP flow control
        /// slows the peer (instead of our memory growing with whatever it sends).
        /// </summary>
        public SemaphoreSlim ReceiveCredit { get; } = new(MaxQueuedMessages);

        /// <summary>Cancelled when the connection is closed, so that a reader waiting for credit ends.</summary>
        public CancellationTokenSource Closed { get; } = new();

        /// <summary>A flush is waiting for the peer to read (the pipe holds more than the budget).</summary>
        public bool Flushing { get; set; }

        public bool FlushAgain { get; set; }

        public ITimer? StallTimer { get; set; }

        /// <summary>How much had been written when the stall check was armed.</summary>
        public long StallMark { get; set; }

        /// <summary>Close without waiting for queued output (the peer is not reading).</summary>
        public bool Abort { get; set; }

        /// <summary>Written by the loop and not yet handed to the kernel.</summary>
        public long Unsent => Output.Written - Pipe.BytesSent;
    }

    /// <summary>Makes <paramref name="socket"/> the connection of <paramref name="attempt"/> and starts reading it.</summary>
    private void Open(Attempt attempt, Socket socket, bool inbound)
    {
        socket.NoDelay = true;
        // The send pipe holds back a flush beyond the budget: that is the backpressure the loop sees.
        var send = new PipeOptions(pauseWriterThreshold: _endpoint.OutputBudget, resumeWriterThreshold: _endpoint.OutputBudget / 2, useSynchronizationContext: false);
        var connection = new Connection(socket, SocketConnection.Create(socket, send, PipeOptions.Default, name: $"bgp {_endpoint.Remote}"), inbound);
        attempt.Connection = connection;
        connection.Reader = ReadAsync(connection, attempt.ConnectionId);
    }

    /// <summary>
    /// TTL / GTSM (RFC 5082) on a socket of this peer; null, or what failed. A failure is this
    /// peer's error, reported like a failed connection: never a session running without the
    /// protection it was configured with.
    /// </summary>
    private string? TtlError(Socket socket, bool inbound) =>
        SocketTtl.TryApply(socket, _endpoint.Remote.Address, _endpoint, _options.IsInternal, out var error)
            ? null
            : $"{(inbound ? "connection from" : "connect to")} {_endpoint.Remote}: {error}";

    private void BeginConnect(Attempt attempt)
    {
        _ = DropConnection(attempt);
        attempt.Connecting = true;
        _connectStarted = _time.GetTimestamp();
        _ = ConnectAsync(attempt.ConnectionId);
    }

    private async Task ConnectAsync(int id)
    {
        Socket socket;
        try
        {
            socket = _endpoint.SocketFactory?.Invoke(_endpoint.Remote.AddressFamily)
                ?? new Socket(_endpoint.Remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the factory throws (a namespace that is gone, a descriptor limit) is this peer's error.
            _inputs.Writer.TryWrite(new ConnectFailed(id, $"connect to {_endpoint.Remote}: cannot create a socket: {ex.Message}"));
            return;
        }
        try
        {
            if (TtlError(socket, inbound: false) is { } error)
            {
                socket.Dispose();
                _inputs.Writer.TryWrite(new ConnectFailed(id, error));
                return;
            }
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
            var reason = ex is OperationCanceledException ? NoAnswer(_endpoint.ConnectTimeout) : $"connect to {_endpoint.Remote}: {ex.Message}";
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
                    if (!connection.ReceiveCredit.Wait(0))
                    {
                        Log.ReceivePaused(_logger, _endpoint.Remote, MaxQueuedMessages);
                        await connection.ReceiveCredit.WaitAsync(connection.Closed.Token).ConfigureAwait(false);
                    }
                    _inputs.Writer.TryWrite(new Received(id, message));
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested || connection.Closed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or ConnectionAbortedException)
        {
            reason = ex.Message;
        }
        _inputs.Writer.TryWrite(new ConnectFailed(id, reason));
    }

    private Task DropConnection(Attempt attempt)
    {
        attempt.ConnectionId = ++_nextConnectionId;
        attempt.Connecting = false;
        if (attempt.Connection is not { } connection)
        {
            return Task.CompletedTask;
        }
        attempt.Connection = null;
        connection.StallTimer?.Dispose();
        var closing = CloseAsync(connection);
        lock (_closing)
        {
            _closing.RemoveAll(t => t.IsCompleted);
            _closing.Add(closing);
        }
        return closing;
    }

    /// <summary>Connections still closing gracefully (their NOTIFICATION and FIN on the way), which disposing waits for.</summary>
    private Task[] Closing()
    {
        lock (_closing)
        {
            return [.. _closing];
        }
    }

    /// <summary>
    /// Closes gracefully: completing the output lets the pipe send what is queued (a NOTIFICATION
    /// above all) and then a FIN; the socket is released once the peer closes too, or after
    /// <see cref="CloseGrace"/> at most. A peer that stopped reading gets no grace.
    /// </summary>
    private async Task CloseAsync(Connection connection)
    {
        await connection.Pipe.Output.CompleteAsync().ConfigureAwait(false);
        if (connection.Reader is { } reader && !connection.Abort)
        {
            await Task.WhenAny(reader, Task.Delay(CloseGrace, _time)).ConfigureAwait(false);
        }
        await connection.Closed.CancelAsync().ConfigureAwait(false);
        connection.Pipe.Dispose();
        connection.Socket.Dispose();
    }

    /// <summary>Sends <paramref name="notification"/> on a connection we do not take (no OPEN first: SendNOTIFICATIONwithoutOPEN), then closes it.</summary>
    private async Task RefuseAsync(Socket socket, NotificationMessage notification)
    {
        using (socket)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(CloseGrace);
                await socket.SendAsync(MessageWriter.ToArray(notification, CodecOptions.Default), timeout.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                // Wait (bounded) for the peer's FIN so the NOTIFICATION is not lost to a reset.
                var sink = new byte[BgpHeader.MaxMessageLength];
                while (await socket.ReceiveAsync(sink, timeout.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer went first; nothing more to tell it.
            }
        }
    }

    private abstract record ConnectionEvent(int ConnectionId);

    private sealed record Connected(int ConnectionId, Socket Socket) : ConnectionEvent(ConnectionId);

    private sealed record ConnectFailed(int ConnectionId, string Reason) : ConnectionEvent(ConnectionId);

    private sealed record Received(int ConnectionId, byte[] Message) : ConnectionEvent(ConnectionId);

    private sealed record FramingFailed(int ConnectionId, BgpError Error) : ConnectionEvent(ConnectionId);

    private sealed record Inbound(Socket Socket);
}
