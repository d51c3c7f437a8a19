using System.Net.Sockets;
using System.Text.Json;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Our speaker against a real FRR (zebra and bgpd, no system config) in a network namespace: what
/// FRR received is read from FRR itself (<c>vtysh ... json</c>), never from our own state.
/// </summary>
[Trait("Category", "Interop")]
public sealed class FrrSessionTests(ITestOutputHelper output)
{
    private const string Bgpd = "/usr/lib/frr/bgpd";
    private const string Zebra = "/usr/lib/frr/zebra";

    [Theory]
    [MemberData(nameof(InteropScenario.Cases), MemberType = typeof(InteropScenario))]
    public async Task Vips_reach_frr_with_their_attributes_leave_on_withdraw_and_see_our_cease(InteropCase @case)
    {
        InteropScenario.RequireBinaries("frr", Bgpd, Zebra, "vtysh");
        var setup = new InteropSetup(@case);
        using var lab = new NetnsLab(setup.LabName("frr"));
        using var frr = new Frr(lab, setup, output);
        await InteropScenario.RunAsync(lab, setup, frr, output);
    }

    /// <summary>zebra and bgpd configured for one case, read with <c>vtysh -c 'show bgp ... json'</c>.</summary>
    private sealed class Frr(NetnsLab lab, InteropSetup setup, ITestOutputHelper output) : IInteropRouter
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-frr-").FullName;

        private string Neighbor => setup.OurAddress;

        /// <summary>
        /// <c>timers connect 1</c>: when FRR connects (we are passive) it retries every second
        /// instead of 120 s, in case its first SYN beats our listener.
        /// </summary>
        private string Config() => RouterConfigText.Bgpd($"{_dir}/bgpd.log", setup.RouterAsn, Neighbor,
        [
            $"remote-as {(setup.Internal ? "internal" : setup.OurAsn.ToString(System.Globalization.CultureInfo.InvariantCulture))}",
            $"update-source {setup.RouterAddress}",
            "timers 3 9",
            setup.Passive ? "timers connect 1" : "passive",
        ]);

        private string Vtysh(string command, string daemon = "bgpd") => NetnsLab.Run($"vtysh --vty_socket {_dir} -d {daemon} -c '{command}'").Output;

        private JsonElement Json(string command)
        {
            var text = Vtysh(command);
            try
            {
                return JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"`{command}` did not answer JSON ({ex.Message}): {text}");
            }
        }

        /// <summary>
        /// zebra first: without it bgpd knows no interface, and FRR 8.4 treats an UPDATE whose IPv6
        /// next hop includes a link-local address as withdraw ("sent a v6 LL next-hop and there's no
        /// peer interface information") and then misreads the rest of the message (3/10 Invalid
        /// Network Field). bgpd must be zebra's client before our session comes up.
        /// </summary>
        public void Start()
        {
            File.WriteAllText(Path.Combine(_dir, "zebra.conf"), "hostname bgplb-frr\n");
            File.WriteAllText(Path.Combine(_dir, "bgpd.conf"), Config());
            // -u root -g frrvty, -S: stay root (the temp dir is ours); -P 0: no TCP vty; -l: listen on the
            // lab address only. zebra keeps writing to the stdout it was started with: a file, not our pipe.
            lab.Ns($"{Zebra} -d -u root -g frrvty -f {_dir}/zebra.conf -i {_dir}/zebra.pid --vty_socket {_dir} -P 0 -z {_dir}/zserv.api >{_dir}/zebra.out 2>&1 </dev/null");
            lab.Ns($"{Bgpd} -d -S -f {_dir}/bgpd.conf -i {_dir}/bgpd.pid --vty_socket {_dir} -P 0 -l {setup.RouterAddress} -z {_dir}/zserv.api");
            Assert.True(NetnsLab.WaitUntil(() => Vtysh("show zebra client summary", "zebra").Contains("bgp", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                $"bgpd is not zebra's client: {Vtysh("show zebra client summary", "zebra")}\n{Diagnostics()}");
            Assert.True(InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(10)), $"bgpd does not listen: {Diagnostics()}");
        }

        public int Count(AddressFamily family) =>
            Json($"show bgp {(family == AddressFamily.InterNetwork ? "ipv4" : "ipv6")} unicast json").TryGetProperty("routes", out var routes)
                ? routes.EnumerateObject().Count() : 0;

        public ReceivedRoute? Route(string prefix)
        {
            var command = $"show bgp {(prefix.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4")} unicast {prefix} json";
            var json = Json(command);
            if (!json.TryGetProperty("paths", out var paths))
            {
                return null;
            }
            // FRR marks a path valid once zebra's next-hop tracking has resolved its next hop, which
            // comes after the UPDATE on a loaded machine: give it a bounded moment.
            NetnsLab.WaitUntil(() => (json = Json(command)).TryGetProperty("paths", out paths)
                && paths.EnumerateArray().All(p => p.GetProperty("valid").GetBoolean()), TimeSpan.FromSeconds(10));
            var path = Assert.Single(paths.EnumerateArray());
            Assert.True(path.GetProperty("valid").GetBoolean(), $"FRR holds {prefix} as invalid: {path}");
            Assert.Equal(Neighbor, path.GetProperty("peer").GetProperty("peerId").GetString());
            return ReceivedRoute.FromFrr(path);
        }

        /// <summary>FRR lists the global and the link-local next hop (<c>scope</c> global / link-local).</summary>
        public bool ShowsLinkLocalNextHop => true;

        public void AssertCeaseReceived(CeaseSubcode subcode, string? communication)
        {
            JsonElement Peer() => Json($"show bgp neighbors {Neighbor} json").GetProperty(Neighbor);
            var code = $"{(byte)BgpErrorCode.Cease:x2}{(byte)subcode:x2}";
            Assert.True(NetnsLab.WaitUntil(() => Peer().TryGetProperty("lastErrorCodeSubcode", out var c) && c.GetString() == code, TimeSpan.FromSeconds(10)), Diagnostics());
            var peer = Peer();
            output.WriteLine(peer.ToString());
            var reason = subcode switch
            {
                CeaseSubcode.AdministrativeShutdown => "Cease/Administrative Shutdown",
                CeaseSubcode.PeerDeconfigured => "Cease/Peer De-configured",
                _ => throw new ArgumentOutOfRangeException(nameof(subcode), subcode, "no FRR text known"),
            };
            Assert.Equal(reason, peer.GetProperty("lastNotificationReason").GetString());
            if (communication is not null)
            {
                Assert.Equal(communication, peer.GetProperty("lastShutdownDescription").GetString());
            }
        }

        public string Diagnostics() => $"{Vtysh($"show bgp neighbors {Neighbor}")}\n{InteropScenario.ReadOrNone($"{_dir}/bgpd.log")}";

        public void Dispose()
        {
            output.WriteLine(InteropScenario.ReadOrNone($"{_dir}/bgpd.log"));
            NetnsLab.Run($"kill $(cat {_dir}/bgpd.pid) $(cat {_dir}/zebra.pid)");
            InteropScenario.TryDelete(_dir);
        }
    }
}
