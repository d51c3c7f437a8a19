using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>
/// <c>bgplb run</c> against a real router: every Service's VIP reaches it with the attributes the
/// BGPAdvertisement asks for, read from the router (<c>birdc show route all</c>, <c>vtysh ... json</c>).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AnnouncementTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("bird", false)]
    [InlineData("bird", true)]
    [InlineData("frr", false)]
    [InlineData("frr", true)]
    public void Every_services_vip_reaches_the_router_with_next_hop_self_our_as_path_and_the_advertisements_communities_and_local_pref(string kind, bool ibgp)
    {
        using var lab = new EndToEndLab($"vip-{kind}-{(ibgp ? "i" : "e")}");
        var setup = ibgp ? RouterSetup.Ibgp : RouterSetup.Ebgp;
        using var router = Routers.Create(kind, lab, setup);
        router.Start();
        lab.WriteConfig(new DaemonConfig
        {
            Router = setup,
            Communities = ["65000:100", "large:4200000001:1:2"],
            // RFC 4271 §5.1.5: LOCAL_PREF goes to internal peers only.
            LocalPref = ibgp ? 250u : null,
            Services = [new("web"), new("dns"), new("api", "198.18.0.100")],
        }.ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            // Three Services: the two without a request take the pool's two lowest addresses.
            router.AssertHolds(["198.18.0.1/32", "198.18.0.2/32", "198.18.0.100/32"], daemon, Bound, "after start");
            foreach (var prefix in (string[])["198.18.0.1/32", "198.18.0.2/32", "198.18.0.100/32"])
            {
                var route = router.Route(prefix);
                output.WriteLine($"{router.Name} {prefix}: {route}");
                Assert.True(route is not null, $"{router.Name} lost {prefix}\n{router.Diagnostics()}");
                // RFC 4271 §5.1.3: next hop self on a shared subnet; §5.1.2: our AS prepended on eBGP only.
                Assert.Equal([EndToEndLab.NodeAddress], route.NextHops);
                Assert.Equal(ibgp ? [] : [RouterSetup.OurAsn], route.AsPath);
                Assert.Equal(["65000:100"], route.Communities);
                Assert.Equal(["4200000001:1:2"], route.LargeCommunities);
                if (ibgp)
                {
                    Assert.Equal(250u, route.LocalPref);
                }
                else
                {
                    // Some routers show their own default on eBGP routes; ours is never on the wire there.
                    Assert.NotEqual(250u, route.LocalPref);
                }
            }
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    /// <summary>
    /// IPv6 VIPs travel over an IPv6 session (a second BGPPeer, the router's IPv6 address): over the
    /// IPv4 session the daemon knows no IPv6 next hop of its own, and says so in its log.
    /// </summary>
    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public void A_dual_stack_services_ipv6_vip_reaches_the_router_over_the_ipv6_session_with_our_ipv6_next_hop(string kind)
    {
        using var lab = new EndToEndLab($"dual-{kind}");
        var setup = RouterSetup.Ebgp with { Ipv6Session = true };
        using var router = Routers.Create(kind, lab, setup);
        router.Start();
        lab.WriteConfig(new DaemonConfig { Router = setup, Communities = ["65000:100"], Services = [new("web", DualStack: true)] }.ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            router.AssertHolds(["198.18.0.1/32", "2001:db8:ffff::1/128"], daemon, Bound, "after start");
            var route = router.Route("2001:db8:ffff::1/128");
            output.WriteLine($"{router.Name} 2001:db8:ffff::1/128: {route}");
            Assert.True(route is not null, $"{router.Name} lost 2001:db8:ffff::1/128\n{router.Diagnostics()}");
            // RFC 2545 §3: our global IPv6 address on the shared link first (a link-local one may follow).
            Assert.Equal(EndToEndLab.NodeAddressV6, route.NextHops[0]);
            Assert.Equal([RouterSetup.OurAsn], route.AsPath);
            Assert.Equal(["65000:100"], route.Communities);
            var v4 = router.Route("198.18.0.1/32");
            Assert.True(v4 is not null, $"{router.Name} lost 198.18.0.1/32\n{router.Diagnostics()}");
            Assert.Equal([EndToEndLab.NodeAddress], v4.NextHops);
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }
}
