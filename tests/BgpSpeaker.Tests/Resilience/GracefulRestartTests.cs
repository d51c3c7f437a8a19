using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// RFC 4724 with us as the restarting speaker. "Our restart" is what a crashed daemon leaves: the
/// session object is disposed without any NOTIFICATION (the connection just closes), and a new
/// session, as a restarted daemon would build, comes back within the restart time.
/// </summary>
[Trait("Category", "Interop")]
public sealed class GracefulRestartTests(ITestOutputHelper output)
{
    private const ushort RestartTime = 120;

    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public async Task Router_keeps_our_routes_stale_while_we_restart_and_drops_the_one_we_no_longer_announce_at_end_of_rib(string kind)
    {
        using var lab = new ResilienceLab($"gr-{kind}");
        var router = Routers.Create(kind, lab, new RouterConfig());
        router.Start();
        var options = ResilienceLab.Options(gracefulRestartTime: RestartTime);
        try
        {
            // Before: 198.18.0.1-10 and 2001:db8:ffff::1-a.
            var before = lab.Session(options);
            before.SetRoutes(new InteropSetup(InteropCase.EbgpActiveIpv4).Routes());
            before.Start();
            router.AssertEstablished(before, TimeSpan.FromSeconds(30));
            router.AssertHolds(10, 10, TimeSpan.FromSeconds(20), "before our restart");
            AssertRouterReadOurCapability(router);

            // The crash: no Cease, the connection simply closes.
            await before.DisposeAsync();
            Assert.True(NetnsLab.WaitUntil(() => !RouterEstablished(router), TimeSpan.FromSeconds(10)), $"{router.Name} did not see the connection close\n{router.Describe()}");
            output.WriteLine(router.Describe());
            // RFC 4724 §4.2: the receiving speaker keeps the routes, marked stale, during the restart time.
            Thread.Sleep(TimeSpan.FromSeconds(2));
            router.AssertHolds(10, 10, TimeSpan.Zero, "during our restart");
            AssertStale(router, true, "198.18.0.1/32", "198.18.0.2/32", "2001:db8:ffff::1/128");

            // After: a new session (a restarted daemon) announces 198.18.0.2-11, no longer 198.18.0.1.
            var routes = new InteropSetup(InteropCase.EbgpActiveIpv4).Routes().Skip(1).Append(new Route(IpPrefix.Parse("198.18.0.11/32"))).ToList();
            await using var after = lab.Session(options);
            after.SetRoutes(routes);
            after.Start();
            router.AssertEstablished(after, TimeSpan.FromSeconds(30));
            // End-of-RIB ends the restart: the route we did not send again is gone, the others are fresh.
            router.AssertHolds(10, 10, TimeSpan.FromSeconds(20), "after our End-of-RIB");
            Assert.True(NetnsLab.WaitUntil(() => !Holds(router, "198.18.0.1/32") && Holds(router, "198.18.0.11/32"), TimeSpan.FromSeconds(20)),
                $"{router.Name} still holds 198.18.0.1/32 or lacks 198.18.0.11/32 after our End-of-RIB\n{router.Describe()}");
            AssertStale(router, false, "198.18.0.2/32", "198.18.0.11/32", "2001:db8:ffff::1/128");
        }
        finally
        {
            output.WriteLine(router.ReadLog());
        }
    }

    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public async Task Without_graceful_restart_the_router_drops_our_routes_as_soon_as_we_vanish(string kind)
    {
        using var lab = new ResilienceLab($"nogr-{kind}");
        var router = Routers.Create(kind, lab, new RouterConfig());
        router.Start();
        try
        {
            var session = lab.Session(ResilienceLab.Options());
            session.SetRoutes(new InteropSetup(InteropCase.EbgpActiveIpv4).Routes());
            session.Start();
            router.AssertEstablished(session, TimeSpan.FromSeconds(30));
            router.AssertHolds(10, 10, TimeSpan.FromSeconds(20), "before we vanish");
            await session.DisposeAsync();
            router.AssertHolds(0, 0, TimeSpan.FromSeconds(10), "after we vanished without graceful restart");
        }
        finally
        {
            output.WriteLine(router.ReadLog());
        }
    }

    private static bool RouterEstablished(Router router) => router switch
    {
        BirdRouter bird => bird.StateSince().StartsWith("up ", StringComparison.Ordinal),
        FrrRouter frr => frr.Neighbor() is { ValueKind: System.Text.Json.JsonValueKind.Object } n && n.GetProperty("bgpState").GetString() == "Established",
        _ => throw new ArgumentOutOfRangeException(nameof(router)),
    };

    private static bool Holds(Router router, string prefix) => router switch
    {
        BirdRouter bird => bird.Birdc($"show route {prefix} protocol bgplb").Contains(prefix, StringComparison.Ordinal),
        FrrRouter frr => frr.PathOf(prefix).ValueKind == System.Text.Json.JsonValueKind.Object,
        _ => throw new ArgumentOutOfRangeException(nameof(router)),
    };

    /// <summary>What we advertised (RFC 4724 §3), as the router decoded it: our restart time and the Forwarding State bit per family.</summary>
    private void AssertRouterReadOurCapability(Router router)
    {
        switch (router)
        {
            case BirdRouter bird:
                var protocol = bird.Describe();
                output.WriteLine(protocol);
                var neighborCaps = protocol[protocol.IndexOf("Neighbor capabilities", StringComparison.Ordinal)..];
                Assert.Contains($"Graceful restart\n        Restart time: {RestartTime}\n        AF supported: ipv4 ipv6\n        AF preserved: ipv4 ipv6", neighborCaps, StringComparison.Ordinal);
                break;
            case FrrRouter frr:
                var gr = frr.Neighbor().GetProperty("gracefulRestartInfo");
                output.WriteLine(gr.ToString());
                Assert.Equal("Restart", gr.GetProperty("remoteGrMode").GetString());
                Assert.Equal(RestartTime, gr.GetProperty("timers").GetProperty("receivedRestartTimer").GetInt32());
                Assert.True(gr.GetProperty("ipv4Unicast").GetProperty("fBit").GetBoolean());
                Assert.True(gr.GetProperty("ipv6Unicast").GetProperty("fBit").GetBoolean());
                // Our End-of-RIB after the initial routes (RFC 4724 §2).
                Assert.True(gr.GetProperty("endOfRibRecv").GetProperty("ipv4Unicast").GetBoolean());
                Assert.True(gr.GetProperty("endOfRibRecv").GetProperty("ipv6Unicast").GetBoolean());
                break;
        }
    }

    /// <summary>
    /// FRR marks each retained path stale; BIRD 2.0 shows no per-route mark, only the protocol's
    /// "Neighbor graceful restart active" with its restart timer while it retains them.
    /// </summary>
    private static void AssertStale(Router router, bool stale, params string[] prefixes)
    {
        switch (router)
        {
            case BirdRouter bird:
                var active = () => bird.Describe().Contains("Neighbor graceful restart active", StringComparison.Ordinal);
                Assert.True(NetnsLab.WaitUntil(() => active() == stale, TimeSpan.FromSeconds(10)), bird.Describe());
                break;
            case FrrRouter frr:
                foreach (var prefix in prefixes)
                {
                    Assert.True(NetnsLab.WaitUntil(() => IsStale(frr.PathOf(prefix)) == stale, TimeSpan.FromSeconds(10)), $"{prefix}: {frr.PathOf(prefix)}");
                }
                break;
        }
    }

    private static bool IsStale(System.Text.Json.JsonElement path) =>
        path.ValueKind == System.Text.Json.JsonValueKind.Object && path.TryGetProperty("stale", out var s) && s.GetBoolean();
}
