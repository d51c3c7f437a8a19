using System.Diagnostics;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>
/// A crash (SIGKILL) and a restart on the same <c>--state</c>: every Service keeps its VIP, and with
/// graceful restart (RFC 4724) the router holds every route through the gap.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class RestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public async Task After_sigkill_a_restart_on_the_same_state_keeps_every_vip_and_with_graceful_restart_the_router_never_loses_one(string kind)
    {
        using var lab = new EndToEndLab($"gr-{kind}");
        var setup = RouterSetup.Ebgp with { GracefulRestart = true };
        using var router = Routers.Create(kind, lab, setup);
        router.Start();
        DaemonConfig Config(params ServiceSpec[] services) => new() { Router = setup, GracefulRestart = true, Services = services };

        // b alone takes the pool's lowest address; a, added later and listed first, the next one. A
        // fresh allocation of the same file (in file or name order) would swap them: only the state
        // file keeps b on .1 and a on .2.
        lab.WriteConfig(Config(new ServiceSpec("b")).ToString());
        var first = lab.StartDaemon();
        var restarted = default(DaemonProcess);
        try
        {
            router.AssertHolds(["198.18.0.1/32"], first, Bound, "after start with Service b");
            lab.WriteConfig(Config(new("a"), new("b")).ToString());
            string[] both = ["198.18.0.1/32", "198.18.0.2/32"];
            router.AssertHolds(both, first, Bound, "after adding Service a");

            // Watch the router through the crash and the restart: what it holds, and whether the session is up.
            var samples = new List<(TimeSpan At, bool Established, string[] Prefixes)>();
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var watcher = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var up = router.Established();
                    samples.Add((clock.Elapsed, up, [.. router.Prefixes().Order(StringComparer.Ordinal)]));
                    Thread.Sleep(20);
                }
            });

            first.Kill();
            Assert.True(NetnsLab.WaitUntil(() => !router.Established(), TimeSpan.FromSeconds(15)), $"{router.Name} did not see the connection close\n{router.Diagnostics()}");
            restarted = lab.StartDaemon();
            Assert.True(NetnsLab.WaitUntil(() => router.Established() || restarted.HasExited, Bound) && router.Established(),
                $"the restarted daemon is not Established with {router.Name}\n{router.Diagnostics()}\n{restarted.Output()}");
            // End-of-RIB ends the restart (RFC 4724 §4.2): stale routes not sent again would go now.
            Thread.Sleep(TimeSpan.FromSeconds(3));
            stop.Cancel();
            await watcher.WaitAsync(TimeSpan.FromSeconds(10));

            var gap = samples.Where(s => !s.Established).ToList();
            Assert.True(gap.Count > 0, $"the watcher never saw the session down ({samples.Count} samples)");
            output.WriteLine($"{router.Name}: session down for {gap[^1].At - gap[0].At} over {gap.Count} of {samples.Count} samples");
            var lost = samples.FirstOrDefault(s => !s.Prefixes.SequenceEqual(both));
            Assert.True(lost.Prefixes is null,
                $"at {lost.At} (session {(lost.Established ? "up" : "down")}) {router.Name} held [{string.Join(", ", lost.Prefixes ?? [])}], expected [{string.Join(", ", both)}] throughout\n{router.Diagnostics()}");
            router.AssertHolds(both, restarted, Bound, "after the restart");

            // Which Service holds which: with b gone, what stays is a's, still .2.
            lab.WriteConfig(Config(new ServiceSpec("a")).ToString());
            router.AssertHolds(["198.18.0.2/32"], restarted, Bound, "after removing Service b (a keeps 198.18.0.2)");
        }
        finally
        {
            output.WriteLine(first.Output());
            first.Dispose();
            if (restarted is not null)
            {
                output.WriteLine(restarted.Output());
                restarted.Dispose();
            }
        }
    }
}
