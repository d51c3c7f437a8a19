using System.Text.Json;
using BgpLb.BgpSpeaker.Fsm;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Our session against a real FRR bgpd (no zebra, no system config) in a network namespace: what
/// FRR received is read from FRR itself (<c>vtysh ... json</c>), never from our own state.
/// </summary>
[Trait("Category", "Interop")]
public sealed class FrrSessionTests(ITestOutputHelper output)
{
    private const string Bgpd = "/usr/lib/frr/bgpd";

    private static string BgpdConfig(string dir) => $"""
        frr defaults traditional
        hostname bgplb-frr
        log file {dir}/bgpd.log debugging
        debug bgp neighbor-events
        !
        router bgp {InteropScenario.PeerAsnNumber}
         bgp router-id {NetnsLab.PeerV4}
         no bgp ebgp-requires-policy
         no bgp default ipv4-unicast
         neighbor {NetnsLab.HostV4} remote-as {InteropScenario.OurAsn}
         neighbor {NetnsLab.HostV4} passive
         neighbor {NetnsLab.HostV4} timers 3 9
         address-family ipv4 unicast
          neighbor {NetnsLab.HostV4} activate
         exit-address-family
         address-family ipv6 unicast
          neighbor {NetnsLab.HostV4} activate
         exit-address-family
        exit
        """;

    [Fact]
    public async Task Routes_announced_to_frr_arrive_with_their_attributes_and_leave_on_withdraw_and_shutdown()
    {
        InteropScenario.RequireBinaries("frr", Bgpd, "vtysh");
        using var lab = new NetnsLab("frr");
        var dir = Directory.CreateTempSubdirectory("bgplb-frr-").FullName;
        File.WriteAllText(Path.Combine(dir, "bgpd.conf"), BgpdConfig(dir));
        string Vtysh(string command) => NetnsLab.Run($"vtysh --vty_socket {dir} -d bgpd -c '{command}'").Output;
        JsonElement Json(string command)
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
        int Count(string family) => Json($"show bgp {family} unicast json").TryGetProperty("routes", out var r) ? r.EnumerateObject().Count() : -1;
        string Neighbor() => Vtysh($"show bgp neighbors {NetnsLab.HostV4} json");

        // -Z: no zebra; -S: stay root (the temp dir is ours); -P 0: no TCP vty; -l: listen on the lab address only.
        lab.Ns($"{Bgpd} -d -Z -S -f {dir}/bgpd.conf -i {dir}/bgpd.pid --vty_socket {dir} -P 0 -l {NetnsLab.PeerV4} -z {dir}/zserv.api");
        await using var session = InteropScenario.Session(lab);
        try
        {
            Assert.True(InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(10)), $"bgpd does not listen: {InteropScenario.ReadOrNone($"{dir}/bgpd.log")}");
            var routes = InteropScenario.Routes();
            session.SetRoutes(routes);
            session.Start();

            Assert.True(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(15)), $"not Established: {session.State}, last down {session.LastDown} ({session.LastConnectionError})\n{Neighbor()}");
            Assert.Equal(TimeSpan.FromSeconds(9), session.Negotiated!.HoldTime);
            Assert.True(session.Negotiated.Codec.FourOctetAsn);

            Assert.True(NetnsLab.WaitUntil(() => Count("ipv4") == 10 && Count("ipv6") == 10, TimeSpan.FromSeconds(15)),
                $"{Vtysh("show bgp ipv4 unicast")}\n{Vtysh("show bgp ipv6 unicast")}\n{Neighbor()}");

            var v4 = Json("show bgp ipv4 unicast 198.18.0.1/32 json");
            output.WriteLine(v4.ToString());
            var path = v4.GetProperty("paths")[0];
            Assert.Equal(InteropScenario.OurAsn.ToString(System.Globalization.CultureInfo.InvariantCulture), path.GetProperty("aspath").GetProperty("string").GetString());
            Assert.Equal("IGP", path.GetProperty("origin").GetString());
            Assert.Equal(100, path.GetProperty("metric").GetInt32());
            Assert.Equal("65000:100 no-export", path.GetProperty("community").GetProperty("string").GetString());
            Assert.Equal($"{InteropScenario.OurAsn}:1:2", path.GetProperty("largeCommunity").GetProperty("string").GetString());
            Assert.Equal(NetnsLab.HostV4, path.GetProperty("nexthops")[0].GetProperty("ip").GetString());
            Assert.Equal(NetnsLab.HostV4, path.GetProperty("peer").GetProperty("peerId").GetString());
            Assert.True(path.GetProperty("valid").GetBoolean());

            var v6 = Json("show bgp ipv6 unicast 2001:db8:ffff::a/128 json");
            output.WriteLine(v6.ToString());
            var path6 = v6.GetProperty("paths")[0];
            Assert.Equal(NetnsLab.HostV6, path6.GetProperty("nexthops")[0].GetProperty("ip").GetString());
            Assert.Equal(InteropScenario.OurAsn.ToString(System.Globalization.CultureInfo.InvariantCulture), path6.GetProperty("aspath").GetProperty("string").GetString());
            Assert.Equal(100, path6.GetProperty("metric").GetInt32());

            // Withdraw half the IPv4 VIPs while the session stays up.
            session.SetRoutes(routes.Skip(5).ToList());
            Assert.True(NetnsLab.WaitUntil(() => Count("ipv4") == 5 && Count("ipv6") == 10, TimeSpan.FromSeconds(15)), Vtysh("show bgp ipv4 unicast"));
            Assert.False(Json("show bgp ipv4 unicast json").GetProperty("routes").TryGetProperty("198.18.0.1/32", out _));

            // Our administrative shutdown reaches FRR with its RFC 9003 message.
            await session.StopAsync(InteropScenario.ShutdownMessage, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            Assert.True(NetnsLab.WaitUntil(() => Neighbor().Contains(InteropScenario.ShutdownMessage, StringComparison.Ordinal), TimeSpan.FromSeconds(10)), Neighbor());
            var neighbor = Json($"show bgp neighbors {NetnsLab.HostV4} json").GetProperty(NetnsLab.HostV4);
            output.WriteLine(neighbor.ToString());
            Assert.NotEqual("Established", neighbor.GetProperty("bgpState").GetString());
            Assert.Equal("0602", neighbor.GetProperty("lastErrorCodeSubcode").GetString());
            Assert.Equal("Cease/Administrative Shutdown", neighbor.GetProperty("lastNotificationReason").GetString());
            Assert.Equal(InteropScenario.ShutdownMessage, neighbor.GetProperty("lastShutdownDescription").GetString());
            Assert.Equal("BGP Notification received", neighbor.GetProperty("lastResetDueTo").GetString());
            Assert.Equal(BgpState.Idle, session.State);
            Assert.True(NetnsLab.WaitUntil(() => Count("ipv4") <= 0 && Count("ipv6") <= 0, TimeSpan.FromSeconds(10)), Vtysh("show bgp ipv4 unicast"));
        }
        finally
        {
            output.WriteLine(InteropScenario.ReadOrNone($"{dir}/bgpd.log"));
            NetnsLab.Run($"kill $(cat {dir}/bgpd.pid)");
            InteropScenario.TryDelete(dir);
        }
    }
}
