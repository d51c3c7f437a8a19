using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>
/// Reload on a change of the config file (the daemon watches it): what the router holds follows the
/// file, and an invalid file changes nothing (the last good config keeps running).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ReloadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static DaemonConfig Config(params ServiceSpec[] services) => new() { Router = RouterSetup.Ebgp, Services = services };

    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public void A_service_added_to_the_file_reaches_the_router_and_a_removed_one_is_withdrawn(string kind)
    {
        using var lab = new EndToEndLab($"edit-{kind}");
        using var router = Routers.Create(kind, lab, RouterSetup.Ebgp);
        router.Start();
        lab.WriteConfig(Config(new("web"), new("api", "198.18.0.100")).ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            router.AssertHolds(["198.18.0.1/32", "198.18.0.100/32"], daemon, Bound, "after start");

            var applied = daemon.LinesOf("ConfigApplied").Count;
            lab.WriteConfig(Config(new("web"), new("api", "198.18.0.100"), new("dns")).ToString());
            router.AssertHolds(["198.18.0.1/32", "198.18.0.2/32", "198.18.0.100/32"], daemon, Bound, "after adding Service dns");
            daemon.AssertEvent("ConfigApplied", Bound, applied);

            lab.WriteConfig(Config(new("api", "198.18.0.100"), new("dns")).ToString());
            router.AssertHolds(["198.18.0.2/32", "198.18.0.100/32"], daemon, Bound, "after removing Service web");
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public void An_invalid_edit_is_rejected_naming_the_field_every_route_stays_and_a_later_good_edit_applies(string kind)
    {
        using var lab = new EndToEndLab($"bad-{kind}");
        using var router = Routers.Create(kind, lab, RouterSetup.Ebgp);
        router.Start();
        lab.WriteConfig(Config(new("web"), new("api", "198.18.0.100")).ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            string[] before = ["198.18.0.1/32", "198.18.0.100/32"];
            router.AssertHolds(before, daemon, Bound, "after start");

            // A bad address on api, and a new Service dns in the same edit: nothing of it may apply.
            lab.WriteConfig(Config(new("web"), new("api", "198.18.0.300"), new("dns")).ToString());
            daemon.AssertEvent("ConfigRejected", Bound);
            // The error names the file, the object and the field.
            Assert.Contains(daemon.Messages(), line => line.Contains(Path.GetFileName(lab.ConfigPath), StringComparison.Ordinal)
                && line.Contains("Service default/api: spec.loadBalancerIP: \"198.18.0.300\" is not an IP address", StringComparison.Ordinal));
            // The last good config keeps running: for a while after the rejection the router holds exactly what it held.
            var unchanged = !NetnsLab.WaitUntil(() => !router.Prefixes().SetEquals(before) || daemon.HasExited, TimeSpan.FromSeconds(5), pollMilliseconds: 100);
            Assert.True(unchanged, $"after the rejected edit {router.Name} holds [{string.Join(", ", router.Prefixes())}] (daemon exited: {daemon.HasExited})\n{daemon.Output()}");

            lab.WriteConfig(Config(new("web"), new("api", "198.18.0.100"), new("dns")).ToString());
            router.AssertHolds(["198.18.0.1/32", "198.18.0.2/32", "198.18.0.100/32"], daemon, Bound, "after the good edit");
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }
}
