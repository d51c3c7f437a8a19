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
            await using var watch = new RouteWatch(router);
            first.Kill();
            Assert.True(NetnsLab.WaitUntil(() => !router.Established(), TimeSpan.FromSeconds(15)), $"{router.Name} did not see the connection close\n{router.Diagnostics()}");
            restarted = lab.StartDaemon();
            AssertEstablishedAgain(router, restarted);
            await watch.AssertNeverLostAsync(both);
            output.WriteLine(watch.Summary());
            router.AssertHolds(both, restarted, Bound, "after the restart");

            // Which Service holds which: with b gone, what stays is a's, still .2.
            lab.WriteConfig(Config(new ServiceSpec("a")).ToString());
            router.AssertHolds(["198.18.0.2/32"], restarted, Bound, "after removing Service b (a keeps 198.18.0.2)");
        }
        finally
        {
            WriteAndDispose(first, restarted);
        }
    }

    /// <summary>
    /// RFC 8538: with the N bit negotiated, a Cease other than Hard Reset is a graceful restart too, so
    /// the router keeps our routes after SIGTERM's Administrative Shutdown until we are back. FRR only:
    /// Debian 12's BIRD 2.0.12 does not implement RFC 8538 and drops our routes on any Cease (seen
    /// here: BIRD held none 50 ms after our NOTIFICATION, with "graceful restart on").
    /// </summary>
    [Theory]
    [InlineData("frr")]
    public async Task After_sigterm_with_graceful_restart_the_router_keeps_every_route_until_the_restarted_daemon_refreshes_them(string kind)
    {
        using var lab = new EndToEndLab($"grterm-{kind}");
        var setup = RouterSetup.Ebgp with { GracefulRestart = true };
        using var router = Routers.Create(kind, lab, setup);
        router.Start();
        lab.WriteConfig(new DaemonConfig { Router = setup, GracefulRestart = true, Services = [new("web"), new("dns")] }.ToString());
        var first = lab.StartDaemon();
        var restarted = default(DaemonProcess);
        try
        {
            string[] both = ["198.18.0.1/32", "198.18.0.2/32"];
            router.AssertHolds(both, first, Bound, "after start");
            await using var watch = new RouteWatch(router);
            Assert.Equal(0, first.Terminate(TimeSpan.FromSeconds(15)));
            // The value that ended the wait is the one checked, not a second read of a router that may have moved on.
            string? communication = null;
            Assert.True(NetnsLab.WaitUntil(() => (communication = router.ShutdownCommunication()) is not null, TimeSpan.FromSeconds(10)),
                $"{router.Name} shows no shutdown communication\n{router.Diagnostics()}");
            Assert.Equal("bgplb shutting down", communication);
            // A moment with the daemon gone, as a restart takes.
            Thread.Sleep(TimeSpan.FromSeconds(3));
            restarted = lab.StartDaemon();
            AssertEstablishedAgain(router, restarted);
            await watch.AssertNeverLostAsync(both);
            output.WriteLine(watch.Summary());
            router.AssertHolds(both, restarted, Bound, "after the restart");
        }
        finally
        {
            WriteAndDispose(first, restarted);
        }
    }

    /// <summary>Waits (bounded) for the restarted daemon's session, then 3 s more: its End-of-RIB ends the restart (RFC 4724 §4.2), and stale routes not sent again would go then.</summary>
    private static void AssertEstablishedAgain(Router router, DaemonProcess restarted)
    {
        Assert.True(NetnsLab.WaitUntil(() => router.Established() || restarted.HasExited, Bound) && router.Established(),
            $"the restarted daemon is not Established with {router.Name}\n{router.Diagnostics()}\n{restarted.Output()}");
        Thread.Sleep(TimeSpan.FromSeconds(3));
    }

    /// <summary>Each daemon's output into the test's output, then the process ended.</summary>
    private void WriteAndDispose(params DaemonProcess?[] daemons)
    {
        foreach (var daemon in daemons.OfType<DaemonProcess>())
        {
            output.WriteLine(daemon.Output());
            daemon.Dispose();
        }
    }
}
