using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// Every verb of <c>bgplbctl</c> against <c>bgplb run</c> and a real BIRD (issue 9), the JSON output
/// parsed back and checked against what BIRD itself holds.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AdminVerbTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = AdminLab.Bound;

    [Fact]
    public void Read_verbs_report_the_session_routes_vips_pools_and_config_that_bird_sees()
    {
        using var admin = AdminLab.Start("read");
        var (lab, router, daemon) = (admin.Lab, admin.Router, admin.Daemon);
        try
        {
            var name = admin.PeerName();

            var peers = CtlProcess.Json(lab, "peers").GetProperty("peers");
            Assert.Equal(1, peers.GetArrayLength());
            var peer = peers[0];
            Assert.Equal("Established", peer.GetProperty("state").GetString());
            Assert.Equal(EndToEndLab.RouterAddress, peer.GetProperty("address").GetString());
            Assert.Equal("2", peer.GetProperty("prefixesAdvertised").GetString());
            Assert.True(peer.GetProperty("internal").GetBoolean());

            var detail = CtlProcess.Json(lab, "peer", name);
            Assert.Equal(9u, detail.GetProperty("holdTimeSeconds").GetUInt32());
            Assert.Equal(RouterSetup.OurAsn, detail.GetProperty("peerAsn").GetUInt32());
            Assert.Equal(EndToEndLab.RouterAddress, detail.GetProperty("peerRouterId").GetString());
            Assert.Contains("IPv4/Unicast", Strings(detail.GetProperty("families")));
            Assert.Contains("route-refresh", Strings(detail.GetProperty("capabilities")));
            Assert.True(detail.GetProperty("uptime").GetString()!.EndsWith('s'));

            // The table reads like birdc's: a header, one line per peer.
            var table = CtlProcess.At(lab, "peers");
            Assert.True(table.Code == 0, table.ToString());
            var lines = table.Stdout.TrimEnd('\n').Split('\n');
            Assert.StartsWith("NAME", lines[0]);
            Assert.Contains("Established", lines[1]);
            Assert.Equal(lines[0].IndexOf("STATE", StringComparison.Ordinal), lines[1].IndexOf("Established", StringComparison.Ordinal));

            var routes = CtlProcess.Json(lab, "routes", "--peer", name).GetProperty("routes");
            Assert.Equal(AdminLab.TwoVips, routes.EnumerateArray().Select(r => r.GetProperty("prefix").GetString()).ToArray());
            foreach (var route in routes.EnumerateArray())
            {
                Assert.Equal(["65000:100"], Strings(route.GetProperty("communities")));
                Assert.Equal(250u, route.GetProperty("localPref").GetUInt32());
                // What BIRD holds is what we say we advertise.
                var held = router.Route(route.GetProperty("prefix").GetString()!);
                Assert.True(held is not null, router.Diagnostics());
                Assert.Equal(250u, held.LocalPref);
            }
            var received = CtlProcess.Json(lab, "routes", "--peer", name, "--received");
            Assert.True(received.GetProperty("received").GetBoolean());
            Assert.Equal(0, received.GetProperty("routes").GetArrayLength()); // BIRD exports nothing (export none)

            var vips = CtlProcess.Json(lab, "vips").GetProperty("vips");
            Assert.Equal(2, vips.GetArrayLength());
            foreach (var vip in vips.EnumerateArray())
            {
                Assert.Equal("vips", vip.GetProperty("pool").GetString());
                var to = vip.GetProperty("peers")[0];
                Assert.Equal(name, to.GetProperty("peer").GetString());
                Assert.True(to.GetProperty("advertised").GetBoolean(), vip.ToString());
            }

            var pools = CtlProcess.Json(lab, "pools").GetProperty("pools");
            Assert.Equal("vips", pools[0].GetProperty("name").GetString());
            Assert.Equal("2", pools[0].GetProperty("ipv4InUse").GetString());
            Assert.Equal("252", pools[0].GetProperty("ipv4Available").GetString());

            Assert.Equal(0, CtlProcess.Json(lab, "bfd").GetProperty("sessions").GetArrayLength());
            var l2 = CtlProcess.Json(lab, "l2");
            Assert.False(l2.GetProperty("running").GetBoolean());
            Assert.Contains("not running", l2.GetProperty("reason").GetString(), StringComparison.Ordinal);

            var config = CtlProcess.Json(lab, "config");
            Assert.Equal(lab.ConfigPath, config.GetProperty("path").GetString());
            Assert.Equal([name], Strings(config.GetProperty("objects").GetProperty("BGPPeer").GetProperty("names")));
            Assert.Equal(["default/dns", "default/web"], Strings(config.GetProperty("objects").GetProperty("Service").GetProperty("names")).Order(StringComparer.Ordinal));

            // YAML: the same document, block style.
            var yaml = CtlProcess.At(lab, "pools", "-o", "yaml");
            Assert.True(yaml.Code == 0, yaml.ToString());
            Assert.Contains("\"ipv4InUse\": \"2\"", yaml.Stdout, StringComparison.Ordinal);

            // Exit codes: 2 for usage, 1 for a failure the daemon reports.
            Assert.Equal(2, CtlProcess.At(lab, "routes").Code);
            var unknown = CtlProcess.At(lab, "peer", "nosuch");
            Assert.Equal(1, unknown.Code);
            Assert.Contains("no BGP peer named \"nosuch\"", unknown.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    [Fact]
    public void Validate_reload_events_and_resets_act_on_the_running_daemon()
    {
        using var admin = AdminLab.Start("act");
        var (lab, router, daemon) = (admin.Lab, admin.Router, admin.Daemon);
        try
        {
            var name = admin.PeerName();

            // validate: the daemon's own checks, nothing applied.
            var good = Path.Combine(lab.Dir, "good.yaml");
            File.WriteAllText(good, AdminLab.Config(new("web"), new("dns"), new("api")).ToString());
            var valid = CtlProcess.Json(lab, "validate", good);
            Assert.True(valid.GetProperty("valid").GetBoolean(), valid.ToString());
            var bad = Path.Combine(lab.Dir, "bad.yaml");
            File.WriteAllText(bad, AdminLab.Config().ToString().Replace("holdTime: 9s", "holdTime: soon", StringComparison.Ordinal));
            var invalid = CtlProcess.At(lab, "validate", bad, "-o", "json");
            Assert.Equal(1, invalid.Code);
            var errors = Strings(JsonDocument.Parse(invalid.Stdout).RootElement.GetProperty("errors"));
            Assert.Contains(errors, e => e.Contains("holdTime", StringComparison.Ordinal) && e.Contains("bad.yaml", StringComparison.Ordinal));
            router.AssertHolds(AdminLab.TwoVips, daemon, TimeSpan.FromSeconds(2), "after validate (nothing applied)");

            // events: a watcher sees the reload that follows; the reload says it was applied.
            CtlProcess.Result? watched = null;
            var watcher = new Thread(() => watched = CtlProcess.At(lab, "events", "--count", "1", "-o", "json"));
            watcher.Start();
            File.WriteAllText(lab.ConfigPath, AdminLab.Config(new("web"), new("dns"), new("api")).ToString());
            Assert.True(NetnsLab.WaitUntil(() =>
            {
                var reload = CtlProcess.Json(lab, "reload");
                Assert.True(reload.GetProperty("applied").GetBoolean(), reload.ToString());
                return watcher.Join(TimeSpan.FromSeconds(1));
            }, Bound), "bgplbctl events saw no event while reloads were applied");
            var seen = watched!.Json();
            Assert.Contains(seen.GetProperty("kind").GetString(), (string[])["ConfigApplied", "Allocation", "SessionChanged"]);
            router.AssertHolds([.. AdminLab.TwoVips, "198.18.0.3/32"], daemon, Bound, "after reload");

            // An invalid config: rejected with its errors, exit 1, the running one stays and says so.
            File.WriteAllText(lab.ConfigPath, File.ReadAllText(bad));
            var rejected = CtlProcess.At(lab, "reload", "-o", "json");
            Assert.Equal(1, rejected.Code);
            Assert.Contains("holdTime", rejected.Stdout, StringComparison.Ordinal);
            var config = CtlProcess.Json(lab, "config");
            Assert.Contains(Strings(config.GetProperty("lastErrors")), e => e.Contains("holdTime", StringComparison.Ordinal));
            router.AssertHolds([.. AdminLab.TwoVips, "198.18.0.3/32"], daemon, TimeSpan.FromSeconds(2), "after a rejected reload");
            File.WriteAllText(lab.ConfigPath, AdminLab.Config(new("web"), new("dns"), new("api")).ToString());
            Assert.True(CtlProcess.Json(lab, "reload").GetProperty("applied").GetBoolean());

            // Soft reset: every route sent again, the session stays.
            var before = CtlProcess.Json(lab, "peer", name);
            var soft = CtlProcess.At(lab, "reset", name, "--soft");
            Assert.True(soft.Code == 0, soft.ToString());
            Assert.True(NetnsLab.WaitUntil(() => long.Parse(CtlProcess.Json(lab, "peer", name).GetProperty("updatesSent").GetString()!) > long.Parse(before.GetProperty("updatesSent").GetString()!), Bound),
                "a soft reset sent no UPDATE");
            var afterSoft = CtlProcess.Json(lab, "peer", name);
            Assert.Equal("Established", afterSoft.GetProperty("state").GetString());
            Assert.Equal("0", afterSoft.GetProperty("flaps").GetString());

            // Hard reset: Cease / Administrative Reset, a flap, and a new session with every route.
            var hard = CtlProcess.At(lab, "reset", name);
            Assert.True(hard.Code == 0, hard.ToString());
            Assert.True(NetnsLab.WaitUntil(() => CtlProcess.Json(lab, "peer", name) is var p && p.GetProperty("flaps").GetString() == "1" && p.GetProperty("state").GetString() == "Established", Bound),
                $"no new session after a hard reset\n{CtlProcess.At(lab, "peer", name)}");
            var afterHard = CtlProcess.Json(lab, "peer", name);
            Assert.Equal("Cease / AdministrativeReset", afterHard.GetProperty("lastNotificationSent").GetProperty("text").GetString());
            router.AssertHolds([.. AdminLab.TwoVips, "198.18.0.3/32"], daemon, Bound, "after a hard reset");
            Assert.Contains("Administrative reset", router.Diagnostics(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
