using System.Buffers;
using System.CommandLine;
using System.IO.Pipelines;
using System.Net.Sockets;
using BgpLb.BfdSession;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;

namespace BgpLb.Daemon.BfdWorker;

/// <summary>
/// <c>bgplb bfd-worker</c> (hidden, internal): the BFD sessions of a daemon, in a process of their
/// own. A blocking garbage collection suspends every managed thread of a process; in the daemon,
/// whose heap holds every received route, a full one lasts far longer than a 30 ms detection time
/// and the peers would declare us down (docs/performance.md). This process holds nothing but the
/// sessions and allocates next to nothing once they run, so its own collections are rare and short.
/// Requests come on standard input, replies and state changes go out on standard output
/// (<see cref="WorkerCodec"/>), log lines on standard error. End of input (the daemon closed the
/// pipe or died, SIGKILL included) removes every session (AdminDown to the peers) and exits.
/// </summary>
internal static class BfdWorkerCommand
{
    public const string Name = "bfd-worker";

    public static Command Create()
    {
        var command = new Command(Name, "internal: the BFD sessions of a bgplb run, driven by it over standard input and output") { Hidden = true };
        command.SetAction(async (_, cancellationToken) =>
        {
            using var loggers = new LineLoggerProvider(Console.Error, json: false, LogLevel.Information, TimeProvider.System);
            await using var input = Console.OpenStandardInput();
            await using var output = Console.OpenStandardOutput();
            return await RunAsync(input, output, loggers, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// How the daemon starts its worker: this same program with <c>bfd-worker</c>: the bgplb executable
    /// itself (apphost or Native AOT), or bgplb.dll through the dotnet host when the daemon runs as
    /// <c>dotnet bgplb.dll</c> (or is hosted by another program, as in tests). A child inherits the
    /// daemon's network namespace. No Assembly.Location: it is empty in a single-file or AOT build.
    /// </summary>
    public static IReadOnlyList<string> DefaultCommandLine()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the path of the running program is unknown; the BFD worker cannot be started");
        var program = typeof(BfdWorkerCommand).Assembly.GetName().Name!;
        var hostName = Path.GetFileNameWithoutExtension(host);
        if (hostName == program)
        {
            return [host, Name];
        }
        return [hostName == "dotnet" ? host : "dotnet", Path.Combine(AppContext.BaseDirectory, program + ".dll"), Name];
    }

    /// <summary>Serves requests until the end of <paramref name="input"/>: 0, or 1 when a frame was malformed.</summary>
    public static async Task<int> RunAsync(Stream input, Stream output, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var log = loggers.CreateLogger("BgpLb.BfdWorker");
        var writer = new FrameWriter(output);
        var ids = new Dictionary<uint, BfdPeer>();
        var byPeer = new Dictionary<BfdPeer, uint>();
        var lookup = new Lock();
        await using var sessions = new BfdSessions(new BfdSessionsOptions { Loggers = loggers });
        sessions.StateChanged += (_, change) =>
        {
            uint id;
            lock (lookup)
            {
                if (!byPeer.TryGetValue(change.Peer, out id))
                {
                    return;
                }
            }
            writer.Send(new SessionStateChanged(id, change.From, change.To, change.Diagnostic, change.RemoteDiagnostic, change.At));
        };
        var reader = PipeReader.Create(input);
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            OperationStatus status;
            WorkerMessage? message;
            WorkerFrameError error;
            while ((status = WorkerCodec.TryRead(ref buffer, out message, out error)) == OperationStatus.Done)
            {
                writer.Send(await HandleAsync(message!, sessions, ids, byPeer, lookup, cancellationToken).ConfigureAwait(false));
            }
            if (status == OperationStatus.InvalidData)
            {
                Log.WorkerBadFrame(log, error);
                return 1;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                Log.WorkerInputClosed(log, ids.Count);
                return 0;
            }
        }
    }

    private static async Task<WorkerMessage> HandleAsync(WorkerMessage message, BfdSessions sessions, Dictionary<uint, BfdPeer> ids,
        Dictionary<BfdPeer, uint> byPeer, Lock lookup, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case ConfigureSession c:
                if (ids.TryGetValue(c.Id, out var old) && old != c.Peer)
                {
                    // A session's identity (RFC 5881 §3) never changes under one id; the daemon removes and re-adds under a new one.
                    return new SessionRefused(c.Id, $"session {c.Id} is {old}, not {c.Peer}");
                }
                try
                {
                    lock (lookup)
                    {
                        // Before the session exists, so that its first state change finds its id.
                        byPeer[c.Peer] = c.Id;
                    }
                    var status = sessions.AddOrUpdate(c.Peer, c.Profile);
                    ids[c.Id] = c.Peer;
                    return new SessionConfigured(c.Id, status.State);
                }
                catch (Exception e) when (e is BfdConfigurationException or SocketException or ArgumentException)
                {
                    if (!ids.ContainsKey(c.Id))
                    {
                        lock (lookup)
                        {
                            byPeer.Remove(c.Peer);
                        }
                    }
                    return new SessionRefused(c.Id, e.Message);
                }
            case RemoveSession r:
                if (ids.Remove(r.Id, out var peer))
                {
                    await sessions.RemoveAsync(peer, cancellationToken).ConfigureAwait(false);
                    lock (lookup)
                    {
                        byPeer.Remove(peer);
                    }
                }
                return new SessionRemoved(r.Id);
            case QuerySession q:
                return new SessionStatusReport(q.Id,
                    ids.TryGetValue(q.Id, out var queried) && sessions.Get(queried) is { } s ? WorkerSessionStatus.From(s) : null);
            default:
                return new SessionRefused(message.Id, $"{message.Type} is not a request");
        }
    }

    /// <summary>Whole frames to a stream, one writer at a time (replies from the request loop, events from the notification task).</summary>
    private sealed class FrameWriter(Stream output)
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(WorkerCodec.LengthSize + WorkerCodec.MaxFrameLength);
        private readonly Lock _lock = new();

        public void Send(WorkerMessage message)
        {
            lock (_lock)
            {
                _buffer.ResetWrittenCount();
                WorkerCodec.Write(_buffer, message);
                try
                {
                    output.Write(_buffer.WrittenSpan);
                    output.Flush();
                }
                catch (IOException)
                {
                    // The daemon is gone (EPIPE): the end of our input follows and ends this process.
                }
            }
        }
    }
}
