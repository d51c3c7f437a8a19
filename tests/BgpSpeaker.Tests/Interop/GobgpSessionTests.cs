using System.Text.Json;
using BgpLb.BgpSpeaker.Fsm;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Our session against a real GoBGP (gobgpd with its own TOML config) in a network namespace: what
/// GoBGP received is read from GoBGP itself (<c>gobgp ... -j</c> over its gRPC API inside the
/// namespace), never from our own state.
/// </summary>
[Trait("Category", "Interop")]
public sealed class GobgpSessionTests(ITestOutputHelper output)
{
    /// <summary>gobgpd's gRPC API, on the peer namespace's own loopback (a fresh namespace: the port is free).</summary>
    private const int ApiPort = 50151;

    private static string GobgpdConfig() => $"""
        [global.config]
          as = {InteropScenario.PeerAsnNumber}
          router-id = "{NetnsLab.PeerV4}"
          local-address-list = ["{NetnsLab.PeerV4}"]
          port = 179

        [[neighbors]]
          [neighbors.config]
            neighbor-address = "{NetnsLab.HostV4}"
            peer-as = {InteropScenario.OurAsn}
          [neighbors.transport.config]
            passive-mode = true
            local-address = "{NetnsLab.PeerV4}"
          [neighbors.timers.config]
            hold-time = 9
            keepalive-interval = 3
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv4-unicast"
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv6-unicast"
        """;

    [Fact]
    public async Task Routes_announced_to_gobgp_arrive_with_their_attributes_and_leave_on_withdraw_and_shutdown()
    {
        InteropScenario.RequireBinaries("gobgpd", "gobgpd", "gobgp");
        using var lab = new NetnsLab("gobgp");
        var dir = Directory.CreateTempSubdirectory("bgplb-gobgp-").FullName;
        File.WriteAllText(Path.Combine(dir, "gobgpd.toml"), GobgpdConfig());
        var log = Path.Combine(dir, "gobgpd.log");
        string Gobgp(string command) => NetnsLab.Run($"ip netns exec {lab.Namespace} gobgp -u 127.0.0.1 -p {ApiPort} {command}").Output;
        JsonElement Json(string command)
        {
            var text = Gobgp(command);
            try
            {
                return JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"`gobgp {command}` did not answer JSON ({ex.Message}): {text}");
            }
        }
        // `global rib -j` is an object keyed by prefix ("{}" or "null" when empty).
        int Count(string family)
        {
            var rib = Json($"global rib -a {family} -j");
            return rib.ValueKind == JsonValueKind.Object ? rib.EnumerateObject().Count() : 0;
        }
        static JsonElement Attr(JsonElement path, int type) =>
            path.GetProperty("attrs").EnumerateArray().FirstOrDefault(a => a.GetProperty("type").GetInt32() == type) is { ValueKind: JsonValueKind.Object } a
                ? a : throw new Xunit.Sdk.XunitException($"no path attribute {type} in {path}");
        static uint[] AsPath(JsonElement path) =>
            Attr(path, 2).GetProperty("as_paths").EnumerateArray().SelectMany(s => s.GetProperty("asns").EnumerateArray()).Select(a => a.GetUInt32()).ToArray();
        string Neighbor() => Gobgp($"neighbor {NetnsLab.HostV4} -j");

        lab.Ns($"setsid gobgpd -f {dir}/gobgpd.toml --api-hosts 127.0.0.1:{ApiPort} --pprof-disable -p -l info >{log} 2>&1 </dev/null & echo $! >{dir}/gobgpd.pid");
        await using var session = InteropScenario.Session(lab);
        try
        {
            Assert.True(InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(10)), $"gobgpd does not listen: {InteropScenario.ReadOrNone(log)}");
            var routes = InteropScenario.Routes();
            session.SetRoutes(routes);
            session.Start();

            Assert.True(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(15)), $"not Established: {session.State}, last down {session.LastDown} ({session.LastConnectionError})\n{Neighbor()}");
            Assert.Equal(TimeSpan.FromSeconds(9), session.Negotiated!.HoldTime);
            Assert.True(session.Negotiated.Codec.FourOctetAsn);

            Assert.True(NetnsLab.WaitUntil(() => Count("ipv4") == 10 && Count("ipv6") == 10, TimeSpan.FromSeconds(15)),
                $"{Gobgp("global rib -a ipv4")}\n{Gobgp("global rib -a ipv6")}\n{Neighbor()}");

            var v4 = Json("global rib -a ipv4 -j").GetProperty("198.18.0.1/32")[0];
            output.WriteLine(v4.ToString());
            Assert.True(v4.GetProperty("best").GetBoolean());
            Assert.Equal(NetnsLab.HostV4, v4.GetProperty("neighbor-ip").GetString());
            Assert.Equal(0, Attr(v4, 1).GetProperty("value").GetInt32()); // ORIGIN IGP
            Assert.Equal([InteropScenario.OurAsn], AsPath(v4));
            Assert.Equal(NetnsLab.HostV4, Attr(v4, 3).GetProperty("nexthop").GetString());
            Assert.Equal(100, Attr(v4, 4).GetProperty("metric").GetInt32());
            // 65000:100 and NO_EXPORT (0xFFFFFF01) as 32-bit values.
            Assert.Equal([(65000u << 16) | 100, 0xFFFFFF01], Attr(v4, 8).GetProperty("communities").EnumerateArray().Select(c => c.GetUInt32()).ToArray());
            var large = Assert.Single(Attr(v4, 32).GetProperty("value").EnumerateArray());
            Assert.Equal((InteropScenario.OurAsn, 1u, 2u), (large.GetProperty("ASN").GetUInt32(), large.GetProperty("LocalData1").GetUInt32(), large.GetProperty("LocalData2").GetUInt32()));

            var v6 = Json("global rib -a ipv6 -j").GetProperty("2001:db8:ffff::a/128")[0];
            output.WriteLine(v6.ToString());
            Assert.True(v6.GetProperty("best").GetBoolean());
            Assert.Equal(NetnsLab.HostV6, Attr(v6, 14).GetProperty("nexthop").GetString()); // MP_REACH_NLRI
            Assert.Equal([InteropScenario.OurAsn], AsPath(v6));
            Assert.Equal(100, Attr(v6, 4).GetProperty("metric").GetInt32());

            // Withdraw half the IPv4 VIPs while the session stays up.
            session.SetRoutes(routes.Skip(5).ToList());
            Assert.True(NetnsLab.WaitUntil(() => Count("ipv4") == 5 && Count("ipv6") == 10, TimeSpan.FromSeconds(15)), Gobgp("global rib -a ipv4"));
            Assert.False(Json("global rib -a ipv4 -j").TryGetProperty("198.18.0.1/32", out _));

            // Our administrative shutdown reaches GoBGP with its RFC 9003 message. GoBGP keeps no
            // notification in its neighbor state; it logs the decoded communication.
            await session.StopAsync(InteropScenario.ShutdownMessage, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            Assert.True(NetnsLab.WaitUntil(() => InteropScenario.ReadOrNone(log).Contains("msg=\"received notification\"", StringComparison.Ordinal), TimeSpan.FromSeconds(10)), InteropScenario.ReadOrNone(log));
            var notification = InteropScenario.ReadOrNone(log).Split('\n').First(l => l.Contains("msg=\"received notification\"", StringComparison.Ordinal));
            output.WriteLine(notification);
            Assert.Contains("Code=6 ", notification, StringComparison.Ordinal);
            Assert.Contains("Subcode=2 ", notification, StringComparison.Ordinal);
            Assert.Contains($"Communicated-Reason=\"{InteropScenario.ShutdownMessage}\"", notification, StringComparison.Ordinal);
            Assert.True(NetnsLab.WaitUntil(() => Json($"neighbor {NetnsLab.HostV4} -j").GetProperty("state").GetProperty("session_state").GetInt32() != 6, TimeSpan.FromSeconds(10)), Neighbor());
            output.WriteLine(Neighbor());
            Assert.Equal(BgpState.Idle, session.State);
            Assert.True(NetnsLab.WaitUntil(() => Count("ipv4") == 0 && Count("ipv6") == 0, TimeSpan.FromSeconds(10)), Gobgp("global rib -a ipv4"));
        }
        finally
        {
            output.WriteLine(InteropScenario.ReadOrNone(log));
            NetnsLab.Run($"kill $(cat {dir}/gobgpd.pid)");
            InteropScenario.TryDelete(dir);
        }
    }
}
