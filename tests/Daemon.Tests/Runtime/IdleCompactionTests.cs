using System.Text;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace BgpLb.Daemon.Tests.Runtime;

/// <summary>
/// The full collection the control loop makes once it has been idle after a plan built whole for a large
/// config (DaemonHost.NextRequestAsync). No BGP peer: every Service is a notice of the plan, which counts
/// as much as a route.
/// </summary>
public sealed class IdleCompactionTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _folder = Directory.CreateTempSubdirectory("bgplb-compact-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-25T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Config(int services)
    {
        var text = new StringBuilder("""
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: { name: vips }
            spec: { addresses: [198.18.0.0/16] }
            ---
            apiVersion: bgplb.io/v1beta1
            kind: BGPAdvertisement
            metadata: { name: all }
            spec: { ipAddressPools: [vips] }

            """);
        for (var i = 0; i < services; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $$"""
                ---
                apiVersion: v1
                kind: Service
                metadata: { name: svc-{{i}}, namespace: shop }
                spec: { type: LoadBalancer, ports: [{ port: 80 }] }

                """);
        }
        return text.ToString();
    }

    /// <summary>Runs a host on <paramref name="services"/> Services, waits for its first apply, then lets fake time pass in steps until <paramref name="until"/> or <paramref name="idle"/> in all.</summary>
    private async Task<int> CompactionsAfterIdleAsync(int services, TimeSpan idle, Func<int, bool> until)
    {
        var log = new StringWriter();
        var path = Path.Combine(_folder, "config.yaml");
        await File.WriteAllTextAsync(path, Config(services));
        var cache = new ConfigCache();
        var loaded = ConfigLoader.Load(path, cache);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Diagnostics));
        using var loggers = new LineLoggerProvider(TextWriter.Synchronized(log), json: false, LogLevel.Debug, _time);
        await using var host = new DaemonHost(new RunOptions(path, Path.Combine(_folder, "state.json"), "node-1") { BgpPort = 0 }, loggers, _time, cache);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(loaded.Snapshot!, 0, stop.Token));
        var deadline = DateTime.UtcNow + Bound;
        while (host.Current is null)
        {
            Assert.True(DateTime.UtcNow < deadline && !run.IsCompleted, $"no first apply after {Bound}: {run.Exception}");
            await Task.Delay(10);
        }
        Assert.Equal(0, host.Compactions);
        // In steps: the loop's idle timer starts when it comes back to wait, a moment after Current is set.
        var step = DaemonHost.IdleCompactDelay / 5;
        for (var passed = TimeSpan.Zero; passed < idle && !until(host.Compactions); passed += step)
        {
            _time.Advance(step);
            await Task.Delay(20);
        }
        var compactions = host.Compactions;
        await stop.CancelAsync();
        await run.WaitAsync(Bound);
        // Each collection says so at debug level, with the heap before and after and how long it took.
        Assert.Equal(compactions, log.ToString().Split('\n').Count(l => l.Contains("idle after a large plan: full collection, managed heap", StringComparison.Ordinal)));
        return compactions;
    }

    [Fact]
    public async Task A_large_plan_is_followed_by_one_full_collection_once_the_loop_is_idle()
    {
        // Ten times the delay: one collection, not one per wait.
        Assert.Equal(1, await CompactionsAfterIdleAsync(10_000, DaemonHost.IdleCompactDelay * 10, _ => false));
    }

    [Fact]
    public async Task A_small_plan_is_left_to_the_collectors_own_budgets()
    {
        Assert.Equal(0, await CompactionsAfterIdleAsync(100, DaemonHost.IdleCompactDelay * 10, c => c > 0));
    }
}
