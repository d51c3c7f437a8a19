using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using BgpLb.BfdSession;
using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.BfdWorker;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace BgpLb.Daemon.Tests.BfdWorker;

/// <summary>
/// Two BFD worker processes, the node's and the "router's", each in its own network namespace of a
/// <c>bgplbg-worker-*</c> lab, driven by <see cref="BfdWorkerClient"/>s in this process: sessions,
/// queries, profile changes, a killed worker, and blocking collections in this (the daemon's) process.
/// </summary>
[Collection("bfd-worker lab")]
public sealed class BfdWorkerClientTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly NetnsLab _lab;
    private readonly ITestOutputHelper _output;
    private readonly StringWriter _log = new();
    private readonly global::BgpLb.Daemon.Runtime.LineLoggerProvider _loggers;

    public BfdWorkerClientTests(ITestOutputHelper output)
    {
        _output = output;
        NetnsLab.RemoveStale("bgplbg", "worker");
        _lab = new NetnsLab("worker", "bgplbg");
        _loggers = new(TextWriter.Synchronized(_log), json: false, LogLevel.Information, TimeProvider.System);
    }

    private static readonly BfdPeer NodeSide = new(IPAddress.Parse(NetnsLab.PeerV4), IPAddress.Parse(NetnsLab.HostV4));
    private static readonly BfdPeer RouterSide = new(IPAddress.Parse(NetnsLab.HostV4), IPAddress.Parse(NetnsLab.PeerV4));

    private static BfdProfile Every(int ms, int multiplier = 3) => new()
    {
        ReceiveInterval = TimeSpan.FromMilliseconds(ms), TransmitInterval = TimeSpan.FromMilliseconds(ms), DetectMultiplier = multiplier,
    };

    /// <summary>A client with every state change it reported.</summary>
    private sealed class Side : IAsyncDisposable
    {
        public Side(string netns, ILogger log)
        {
            Client = new BfdWorkerClient(WorkerProcess.CommandIn(netns), log);
            Client.StateChanged += c => Changes.Enqueue(c);
            Client.WorkerLost += ids => Lost.Enqueue(ids);
        }

        public BfdWorkerClient Client { get; }

        public ConcurrentQueue<SessionStateChanged> Changes { get; } = new();

        public ConcurrentQueue<IReadOnlyList<uint>> Lost { get; } = new();

        public int Count(BfdState to) => Changes.Count(c => c.To == to);

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }

    private void WaitFor(Func<bool> condition, string what) =>
        Assert.True(NetnsLab.WaitUntil(condition, Bound, pollMilliseconds: 10), $"{what} within {Bound}\nlog:\n{_log}");

    /// <summary>The node's and the router's workers with one session each at <paramref name="ms"/> x 3, both Up; the caller disposes them.</summary>
    private async Task<(Side Node, Side Router)> PairUpAsync(int ms, uint nodeId = 1)
    {
        var node = new Side(_lab.HostNamespace, _loggers.CreateLogger("node"));
        var router = new Side(_lab.Namespace, _loggers.CreateLogger("router"));
        await node.Client.ConfigureAsync(nodeId, NodeSide, Every(ms), CancellationToken.None);
        await router.Client.ConfigureAsync(1, RouterSide, Every(ms), CancellationToken.None);
        WaitFor(() => node.Count(BfdState.Up) == 1 && router.Count(BfdState.Up) == 1, "both sides Up");
        return (node, router);
    }

    [Fact]
    public async Task Sessions_come_up_report_their_timers_and_take_a_profile_change_without_a_flap()
    {
        var (node, router) = await PairUpAsync(50);
        await using var nodeSide = node;
        await using var routerSide = router;

        // Once Up, each polls down to 50 ms (RFC 5880 §6.8.3); detection = 3 x 50 ms (§6.8.4).
        WaitFor(() => node.Client.QueryAsync(1, CancellationToken.None).Result?.TransmitInterval == TimeSpan.FromMilliseconds(50), "node at 50 ms");
        var status = (await node.Client.QueryAsync(1, CancellationToken.None))!;
        Assert.Equal(BfdState.Up, status.State);
        Assert.Equal(BfdState.Up, status.RemoteState);
        Assert.Equal(TimeSpan.FromMilliseconds(150), status.DetectionTime);
        Assert.Equal(3, status.RemoteDetectMultiplier);
        Assert.NotEqual(0u, status.RemoteDiscriminator);
        Assert.Null(await node.Client.QueryAsync(99, CancellationToken.None));

        // A profile change is a Poll Sequence in place: same discriminator, no Down on either side.
        Assert.Equal(BfdState.Up, await node.Client.ConfigureAsync(1, NodeSide, Every(100), CancellationToken.None));
        WaitFor(() => node.Client.QueryAsync(1, CancellationToken.None).Result?.TransmitInterval == TimeSpan.FromMilliseconds(100), "node at 100 ms");
        var after = (await node.Client.QueryAsync(1, CancellationToken.None))!;
        Assert.Equal(status.LocalDiscriminator, after.LocalDiscriminator);
        Assert.True(after.PollSequences > status.PollSequences);
        Assert.Equal(0, after.DownTransitions);
        Assert.Equal(0, (await router.Client.QueryAsync(1, CancellationToken.None))!.DownTransitions);
        Assert.Equal(0, node.Count(BfdState.Down) + router.Count(BfdState.Down));

        // A bad profile is refused by field, and the running session keeps its profile.
        var refused = await Assert.ThrowsAsync<BfdWorkerException>(() => node.Client.ConfigureAsync(1, NodeSide, Every(5), CancellationToken.None));
        Assert.Contains("receiveInterval", refused.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(100), (await node.Client.QueryAsync(1, CancellationToken.None))!.TransmitInterval);

        // Removal tells the peer it was deliberate (AdminDown, RFC 5880 §6.8.16).
        await node.Client.RemoveAsync(1, CancellationToken.None);
        WaitFor(() => router.Changes.Any(c => c.To == BfdState.Down && c.RemoteDiagnostic == BfdDiagnostic.AdministrativelyDown), "the router sees AdminDown");
    }

    [Fact]
    public async Task A_killed_worker_is_reported_lost_and_a_new_one_brings_its_sessions_back()
    {
        var (node, router) = await PairUpAsync(50, nodeId: 5);
        await using var nodeSide = node;
        await using var routerSide = router;

        var pid = node.Client.WorkerProcessId!.Value;
        NetnsLab.Sh($"kill -KILL {pid}");
        WaitFor(() => node.Lost.Count == 1, "the node's client reports its worker lost");
        Assert.Equal([5u], node.Lost.Single());
        WaitFor(() => router.Count(BfdState.Down) == 1, "the router declares the session down");
        Assert.Equal(BfdDiagnostic.ControlDetectionTimeExpired, router.Changes.Single(c => c.To == BfdState.Down).Diagnostic);

        // Restarted after the first backoff (0.5 s), the session is created again and comes Up.
        WaitFor(() => node.Count(BfdState.Up) == 2 && router.Count(BfdState.Up) == 2, "both sides Up again");
        Assert.NotEqual(pid, node.Client.WorkerProcessId);
        Assert.Contains("BFD worker PID", _log.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The point of the worker: this process holds a large heap and runs full blocking compacting
    /// collections back to back, each far longer than the 60 ms detection time (measured and
    /// asserted, or the test would prove nothing); sessions in the workers never notice.
    /// </summary>
    [Fact]
    public async Task Blocking_collections_in_the_daemon_do_not_cost_a_session()
    {
        var (node, router) = await PairUpAsync(20);
        await using var nodeSide = node;
        await using var routerSide = router;
        WaitFor(() => node.Client.QueryAsync(1, CancellationToken.None).Result?.DetectionTime == TimeSpan.FromMilliseconds(60), "node at 20 ms x 3");

        // ~2.5 million small objects in a linked structure: what a full route table looks like to the GC.
        var heap = new List<object[]>();
        for (var i = 0; i < 2_500_000; i++)
        {
            heap.Add([i, heap.Count > 0 ? heap[^1] : i]);
        }
        var pauses = new List<double>();
        var run = Stopwatch.StartNew();
        while (run.Elapsed < TimeSpan.FromSeconds(10))
        {
            var pause = Stopwatch.StartNew();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            pauses.Add(pause.Elapsed.TotalMilliseconds);
            for (var i = 0; i < 100_000; i++)
            {
                heap[i * 17 % heap.Count] = [i, heap[(i * 31) % heap.Count]]; // churn, so each collection has work
            }
        }
        GC.KeepAlive(heap);
        _output.WriteLine($"{pauses.Count} forced full collections, pause median {pauses.Order().ElementAt(pauses.Count / 2):0} ms, max {pauses.Max():0} ms");
        Assert.True(pauses.Max() > 60, $"the longest forced collection took {pauses.Max():0} ms, not beyond the 60 ms detection time: the test proves nothing");

        Assert.Equal(0, node.Count(BfdState.Down) + router.Count(BfdState.Down));
        Assert.Equal(0, (await node.Client.QueryAsync(1, CancellationToken.None))!.DownTransitions);
        Assert.Equal(0, (await router.Client.QueryAsync(1, CancellationToken.None))!.DownTransitions);
    }

    [Fact]
    public async Task The_worker_exits_when_its_input_ends_and_takes_its_sessions_admin_down()
    {
        var (node, router) = await PairUpAsync(50);
        await using var routerSide = router;
        var pid = node.Client.WorkerProcessId!.Value;

        await node.DisposeAsync(); // closes the worker's standard input, as the daemon's death does
        Assert.False(Directory.Exists($"/proc/{pid}"), $"worker PID {pid} still runs after its input ended");
        WaitFor(() => router.Changes.Any(c => c.To == BfdState.Down && c.RemoteDiagnostic == BfdDiagnostic.AdministrativelyDown), "the router sees AdminDown");
        Assert.Contains("closed the request pipe", _log.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _output.WriteLine(_log.ToString());
        _loggers.Dispose();
        _lab.Dispose();
    }
}
