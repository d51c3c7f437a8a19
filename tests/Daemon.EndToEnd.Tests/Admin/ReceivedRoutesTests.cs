using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// Against BIRD over eBGP with BFD, BIRD announcing routes of its own (namespaces <c>bgplbc-*</c>):
/// <c>routes --received</c> shows them with the attributes BIRD gave them; <c>validate FOLDER</c>
/// checks a folder as a reload of it would, with the errors <c>bgplb validate --config FOLDER</c>
/// prints; a BFD session lost to a cut is counted by its diagnostic.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ReceivedRoutesTests(ITestOutputHelper output)
{
    private const string Prefix = "bgplbc";
    private static readonly TimeSpan Bound = AdminLab.Bound;
    private static readonly string[] Exported = ["198.51.100.128/25", "198.51.100.64/26"];

    [Fact]
    public void Received_routes_show_birds_attributes_a_folder_validates_as_a_reload_reads_it_and_bfd_downs_are_counted_by_diagnostic()
    {
        Require.Binaries("curl", "curl");
        using var lab = new EndToEndLab("recv", Prefix);
        var setup = RouterSetup.Ebgp with { Bfd = true, Exported = Exported };
        using var bird = new BirdRouter(lab, setup);
        bird.Start();
        var config = new DaemonConfig { Router = setup, Bfd = true, Services = [new("web")] };
        lab.WriteConfig(config.ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            bird.AssertHolds(["198.18.0.1/32"], daemon, Bound, "after start");
            AdminLab.AwaitSocket(lab, daemon);
            var name = CtlProcess.Json(lab, "peers").GetProperty("peers")[0].GetProperty("name").GetString()!;

            // routes --received: BIRD's two routes with the attributes its export filter set.
            JsonElement routes = default;
            Assert.True(NetnsLab.WaitUntil(() => (routes = CtlProcess.Json(lab, "routes", "--peer", name, "--received").GetProperty("routes")).GetArrayLength() == Exported.Length, Bound),
                $"bgplbctl routes --received does not show BIRD's {Exported.Length} routes: {routes}\n{bird.Birdc("show route export bgplb all")}\n{daemon.Output()}");
            Assert.Equal(Exported.Order(StringComparer.Ordinal), routes.EnumerateArray().Select(r => r.GetProperty("prefix").GetString()!).Order(StringComparer.Ordinal));
            foreach (var route in routes.EnumerateArray())
            {
                Assert.Equal(EndToEndLab.RouterAddress, route.GetProperty("nextHop").GetString());
                Assert.Equal(RouterSetup.TheirAsn.ToString(System.Globalization.CultureInfo.InvariantCulture), route.GetProperty("asPath").GetString());
                Assert.Equal(42u, route.GetProperty("med").GetUInt32());
                Assert.Equal(["64512:7"], Strings(route.GetProperty("communities")));
                Assert.Equal(["64512:1:2"], Strings(route.GetProperty("largeCommunities")));
                // RFC 4271 §5.1.5: LOCAL_PREF is not sent to an external peer.
                Assert.False(route.TryGetProperty("localPref", out _), route.ToString());
            }
            var table = CtlProcess.At(lab, "routes", "--peer", name, "--received");
            Assert.True(table.Code == 0 && table.Stdout.Contains("198.51.100.128/25", StringComparison.Ordinal) && table.Stdout.Contains("64512:7 64512:1:2", StringComparison.Ordinal), table.ToString());
            Assert.Equal("2", CtlProcess.Json(lab, "peer", name).GetProperty("prefixesReceived").GetString());
            // What we advertise is not among what we received (BIRD's export filter sends its own routes only).
            Assert.DoesNotContain("198.18.0.1/32", routes.EnumerateArray().Select(r => r.GetProperty("prefix").GetString()));

            AssertFolderValidation(lab, config);

            // A silent cut (nothing in or out of the node but its loopback, where the scrape goes): BFD goes
            // Down on detection time; counted once, by diagnostic. The scrape is taken while the cut lasts:
            // once it is lifted the two ends may go through a Down/Init/Up exchange that legitimately counts
            // a NeighborSignaledSessionDown too (seen in CI), which is not what this test is about.
            Assert.True(NetnsLab.WaitUntil(() => bird.BfdState() == "Up", Bound), $"BIRD's BFD session: {bird.BfdState()}\n{bird.Birdc("show bfd sessions")}");
            lab.Node("nft add table inet cut");
            lab.Node("nft add chain inet cut in { type filter hook input priority -10 \\; policy drop \\; }");
            lab.Node("nft add rule inet cut in iif lo accept");
            lab.Node("nft add chain inet cut out { type filter hook output priority -10 \\; policy drop \\; }");
            lab.Node("nft add rule inet cut out oif lo accept");
            string scrape;
            try
            {
                daemon.AssertEvent("BfdDown", TimeSpan.FromSeconds(10));
                scrape = NetnsLab.Run($"ip netns exec {lab.NodeNamespace} curl -s -m 5 http://127.0.0.1:7472/metrics").Output;
            }
            finally
            {
                lab.Node("nft delete table inet cut");
            }
            output.WriteLine(scrape);
            Assert.Contains($"bgplb_bfd_session_down_events_total{{peer=\"{name}\",diagnostic=\"ControlDetectionTimeExpired\"}} 1", scrape, StringComparison.Ordinal);
            Assert.Single(scrape.Split('\n'), l => l.StartsWith("bgplb_bfd_session_down_events_total{", StringComparison.Ordinal));
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    /// <summary>
    /// The config split over a folder (plus a file the loader skips): valid; then with an error in its
    /// second file, the same errors, naming the file, as <c>bgplb validate --config FOLDER</c>.
    /// </summary>
    private static void AssertFolderValidation(EndToEndLab lab, DaemonConfig config)
    {
        var folder = Path.Combine(lab.Dir, "conf.d");
        Directory.CreateDirectory(folder);
        var documents = config.ToString().Split("\n---\n");
        var second = Path.Combine(folder, "b-peers.yml");
        File.WriteAllText(Path.Combine(folder, "a-pools.yaml"), documents[0]);
        File.WriteAllText(second, string.Join("\n---\n", documents.Skip(1)));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not: [yaml");
        var valid = CtlProcess.Json(lab, "validate", folder);
        Assert.True(valid.GetProperty("valid").GetBoolean(), valid.ToString());
        Assert.StartsWith("1 pools, 1 BGP peers, 1 BGP advertisements, 0 L2 advertisements, 1 Services", valid.GetProperty("summary").GetString(), StringComparison.Ordinal);

        File.WriteAllText(second, File.ReadAllText(second).Replace("holdTime: 9s", "holdTime: soon", StringComparison.Ordinal));
        var invalid = CtlProcess.At(lab, "validate", folder, "-o", "json");
        Assert.Equal(1, invalid.Code);
        var errors = Strings(JsonDocument.Parse(invalid.Stdout).RootElement.GetProperty("errors"));
        Assert.NotEmpty(errors);
        Assert.Contains(errors, e => e.StartsWith("error: " + second + ":", StringComparison.Ordinal) && e.Contains("holdTime", StringComparison.Ordinal));
        var (code, printed) = NetnsLab.Run($"dotnet {DaemonProcess.Dll} validate --config {folder}", timeoutSeconds: 60);
        Assert.Equal(2, code);
        var lines = printed.Split('\n');
        Assert.All(errors, e => Assert.Contains(e, lines));

        var empty = Path.Combine(lab.Dir, "empty.d");
        Directory.CreateDirectory(empty);
        var none = CtlProcess.At(lab, "validate", empty);
        Assert.True(none.Code == 1 && none.Stderr.Contains("the folder holds no .yaml or .yml file", StringComparison.Ordinal), none.ToString());
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
