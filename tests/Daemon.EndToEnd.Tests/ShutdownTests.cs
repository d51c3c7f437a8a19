using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>How the daemon stops: SIGTERM closes every session with a reason the router shows, then exit 0.</summary>
[Trait("Category", "EndToEnd")]
public sealed class ShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public void Sigterm_exits_0_after_the_router_got_our_administrative_shutdown_with_its_message_and_dropped_our_routes(string kind)
    {
        using var lab = new EndToEndLab($"term-{kind}");
        using var router = Routers.Create(kind, lab, RouterSetup.Ebgp);
        router.Start();
        lab.WriteConfig(new DaemonConfig { Router = RouterSetup.Ebgp, Services = [new("web")] }.ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            router.AssertHolds(["198.18.0.1/32"], daemon, Bound, "after start");

            var code = daemon.Terminate(TimeSpan.FromSeconds(15));
            Assert.True(code is not null, $"the daemon still runs 15 s after SIGTERM\n{daemon.Output()}");
            Assert.Equal(0, code);
            // RFC 9003: Cease / Administrative Shutdown carrying the shutdown communication.
            // The value that ended the wait is the one checked, not a second read of a router that may have moved on.
            string? communication = null;
            Assert.True(NetnsLab.WaitUntil(() => (communication = router.ShutdownCommunication()) is not null, TimeSpan.FromSeconds(10)),
                $"{router.Name} shows no shutdown communication\n{router.Diagnostics()}");
            Assert.Equal("bgplb shutting down", communication);
            output.WriteLine(router.Diagnostics());
            // No graceful restart after a Cease: the router drops what we announced.
            router.AssertHolds([], daemon, TimeSpan.FromSeconds(10), "after SIGTERM");
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }
}
