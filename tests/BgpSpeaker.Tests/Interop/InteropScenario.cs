using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// The scenario every router runs for each <see cref="InteropCase"/>: our <see cref="BgpSpeaker"/>
/// in the lab's host namespace (connecting, or listening for the router), 10 IPv4 /32 and 10 IPv6
/// /128 VIPs read back from the router itself with their attributes, half of them withdrawn, one
/// more of each announced alone, then all withdrawn, and finally the peer removed and our Cease
/// read at the router.
/// </summary>
internal static class InteropScenario
{
    /// <summary>Our AS in the single-session tests (MD5) and the resilience tests; the router's is <see cref="PeerAsnNumber"/>.</summary>
    public const uint OurAsn = 4200000001;
    public const uint PeerAsnNumber = 64512;
    public const string ShutdownMessage = "bgplb maintenance";

    /// <summary>Every <see cref="InteropCase"/>, one test case each.</summary>
    public static TheoryData<InteropCase> Cases => new(Enum.GetValues<InteropCase>());

    private const string PeerName = "router";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(NetnsLab lab, InteropSetup setup, IInteropRouter router, ITestOutputHelper output)
    {
        var routes = setup.Routes();
        await using var speaker = new BgpSpeaker(TimeProvider.System, () => new Random(1));
        speaker.SetRoutes(routes);
        if (setup.Passive)
        {
            speaker.Listen(new IPEndPoint(IPAddress.Parse(setup.OurAddress), PeerEndpoint.BgpPort), lab.CreateSocket);
            await speaker.AddOrUpdatePeerAsync(PeerName, setup.Options(), setup.Endpoint(lab), passive: true, CancellationToken.None);
            router.Start();
        }
        else
        {
            router.Start();
            await speaker.AddOrUpdatePeerAsync(PeerName, setup.Options(), setup.Endpoint(lab), passive: false, CancellationToken.None);
        }
        PeerStatus Peer() => speaker.Peers.Single();
        string Why() => $"{Peer()}\n{router.Diagnostics()}";

        PeerStatus? up = null;
        Assert.True(NetnsLab.WaitUntil(() => (up = Peer()) is { State: BgpState.Established, Negotiated: not null }, TimeSpan.FromSeconds(30)), $"not Established: {Why()}");
        var negotiated = up!.Negotiated!;
        Assert.True(negotiated.Codec.FourOctetAsn);
        Assert.Equal(setup.RouterAsn, negotiated.PeerAsn);
        Assert.Equal(setup.Internal, !negotiated.IsExternal);
        Assert.Contains(AfiSafi.IPv4Unicast, negotiated.Families.AsSpan().ToArray());
        Assert.Contains(AfiSafi.IPv6Unicast, negotiated.Families.AsSpan().ToArray());

        WaitForCounts(router, 10, 10, Why);
        foreach (var prefix in (string[])["198.18.0.1/32", "198.18.0.10/32", "2001:db8:ffff::1/128", "2001:db8:ffff::a/128"])
        {
            AssertReceived(setup, router, prefix, output);
        }

        // Withdraw the first half of each family (Routes() lists 10 IPv4, then 10 IPv6) while the session stays up.
        speaker.SetRoutes(routes.Where((_, i) => i % 10 >= 5).ToList());
        WaitForCounts(router, 5, 5, Why);
        Assert.Null(router.Route("198.18.0.1/32"));
        Assert.Null(router.Route("2001:db8:ffff::5/128"));
        Assert.NotNull(router.Route("198.18.0.6/32"));
        Assert.NotNull(router.Route("2001:db8:ffff::6/128"));

        // One more VIP of each family, each alone in its UPDATE.
        speaker.SetRoutes(routes.Where((_, i) => i % 10 >= 5).Concat(setup.ExtraRoutes()).ToList());
        WaitForCounts(router, 6, 6, Why);
        AssertReceived(setup, router, "198.18.0.11/32", output);
        AssertReceived(setup, router, "2001:db8:ffff::b/128", output);

        // Then everything: the routes leave by withdrawal, not with the session.
        speaker.SetRoutes([]);
        WaitForCounts(router, 0, 0, Why);
        Assert.Equal(BgpState.Established, Peer().State);

        // Removing the peer: with a message, Administrative Shutdown carrying it (RFC 9003); without,
        // Peer De-configured (RFC 4486). Each kind in two cases per router.
        var communication = setup.Passive ? null : ShutdownMessage;
        await speaker.RemovePeerAsync(PeerName, communication, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        router.AssertCeaseReceived(communication is null ? CeaseSubcode.PeerDeconfigured : CeaseSubcode.AdministrativeShutdown, communication);
    }

    private static void WaitForCounts(IInteropRouter router, int ipv4, int ipv6, Func<string> why)
    {
        Assert.True(NetnsLab.WaitUntil(() => router.Count(AddressFamily.InterNetwork) == ipv4 && router.Count(AddressFamily.InterNetworkV6) == ipv6, Bound),
            $"expected {ipv4} IPv4 + {ipv6} IPv6 routes, the router holds {router.Count(AddressFamily.InterNetwork)} + {router.Count(AddressFamily.InterNetworkV6)}: {why()}");
    }

    /// <summary>
    /// Next hop self (RFC 4271 §5.1.3; IPv6 global then link-local, RFC 2545 §3), our AS prepended on
    /// eBGP only (§5.1.2), LOCAL_PREF on iBGP only (§5.1.5), ORIGIN IGP, and the operator's MED and communities.
    /// </summary>
    private static void AssertReceived(InteropSetup setup, IInteropRouter router, string prefix, ITestOutputHelper output)
    {
        var route = router.Route(prefix);
        output.WriteLine($"{prefix}: {route}");
        Assert.True(route is not null, $"the router holds no {prefix}: {router.Diagnostics()}");
        var ipv6 = prefix.Contains(':', StringComparison.Ordinal);
        Assert.Equal("IGP", route.Origin);
        Assert.Equal(setup.Internal ? [] : [setup.OurAsn], route.AsPath);
        string[] nextHops = !ipv6 ? [NetnsLab.HostV4] : router.ShowsLinkLocalNextHop ? [NetnsLab.HostV6, NetnsLab.HostLinkLocal] : [NetnsLab.HostV6];
        Assert.Equal(nextHops, route.NextHops);
        Assert.Equal(InteropSetup.Med, route.Med);
        if (setup.Internal)
        {
            Assert.Equal(InteropSetup.LocalPref, route.LocalPref);
        }
        else
        {
            // Some routers show their own default on eBGP routes; ours is never on the wire there.
            Assert.NotEqual(InteropSetup.LocalPref, route.LocalPref);
        }
        Assert.Equal(["65000:100", "65535:65281"], route.Communities);
        Assert.Equal([$"{setup.OurAsn}:{InteropSetup.LargeCommunityLocal1}:{InteropSetup.LargeCommunityLocal2}"], route.LargeCommunities);
    }

    /// <summary>Waits (bounded) until something in the peer namespace listens on TCP 179.</summary>
    public static bool WaitForListener(NetnsLab lab, TimeSpan timeout) =>
        NetnsLab.WaitUntil(() => lab.Ns("ss -Hltn sport = :179").Contains(":179", StringComparison.Ordinal), timeout);

    /// <summary>Fails with a clear message when a daemon binary is missing (the tests never skip).</summary>
    public static void RequireBinaries(string package, params string[] binaries)
    {
        foreach (var binary in binaries)
        {
            Assert.True(NetnsLab.Run($"command -v {binary}").Code == 0,
                $"{binary} is not installed: run ./test.sh as root, it installs the {package} package");
        }
    }

    public static string ReadOrNone(string path) => File.Exists(path) ? File.ReadAllText(path) : $"(no {path})";

    /// <summary>The lines of a file a daemon is still writing, without the last one until its newline is there.</summary>
    public static string[] CompleteLines(string path) => File.Exists(path) ? File.ReadAllText(path).Split('\n').SkipLast(1).ToArray() : [];

    /// <summary>Best effort: the daemon's working directory (config, logs, sockets) once it is killed.</summary>
    public static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
