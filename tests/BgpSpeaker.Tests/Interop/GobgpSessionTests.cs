using System.Net.Sockets;
using System.Text.Json;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Our speaker against a real GoBGP (gobgpd with its own TOML config) in a network namespace: what
/// GoBGP received is read from GoBGP itself (<c>gobgp ... -j</c> over its gRPC API inside the
/// namespace), never from our own state.
/// </summary>
[Trait("Category", "Interop")]
public sealed class GobgpSessionTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(InteropScenario.Cases), MemberType = typeof(InteropScenario))]
    public async Task Vips_reach_gobgp_with_their_attributes_leave_on_withdraw_and_see_our_cease(InteropCase @case)
    {
        InteropScenario.RequireBinaries("gobgpd", "gobgpd", "gobgp");
        var setup = new InteropSetup(@case);
        using var lab = new NetnsLab(setup.LabName("gobgp"));
        using var gobgp = new Gobgp(lab, setup, output);
        await InteropScenario.RunAsync(lab, setup, gobgp, output);
    }

    /// <summary>gobgpd configured for one case, read with <c>gobgp global rib -j</c>.</summary>
    private sealed class Gobgp(NetnsLab lab, InteropSetup setup, ITestOutputHelper output) : IInteropRouter
    {
        /// <summary>gobgpd's gRPC API, on the peer namespace's own loopback (a fresh namespace: the port is free).</summary>
        private const int ApiPort = 50151;

        private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-gobgp-").FullName;

        private string Log => Path.Combine(_dir, "gobgpd.log");

        private string Config() => RouterConfigText.Gobgpd(
            setup.RouterAsn, setup.RouterAddress, setup.OurAddress, setup.OurAsn, routerPassive: !setup.Passive, holdTime: 9, connectRetry: 1);

        private string Cli(string command) => NetnsLab.Run($"ip netns exec {lab.Namespace} gobgp -u 127.0.0.1 -p {ApiPort} {command}").Output;

        private JsonElement Json(string command)
        {
            var text = Cli(command);
            try
            {
                return JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"`gobgp {command}` did not answer JSON ({ex.Message}): {text}");
            }
        }

        /// <summary>`global rib -j` is an object keyed by prefix ("{}" or "null" when empty).</summary>
        private JsonElement Rib(string family)
        {
            var rib = Json($"global rib -a {family} -j");
            return rib.ValueKind == JsonValueKind.Object ? rib : JsonDocument.Parse("{}").RootElement;
        }

        public void Start()
        {
            File.WriteAllText(Path.Combine(_dir, "gobgpd.toml"), Config());
            lab.Ns($"setsid gobgpd -f {_dir}/gobgpd.toml --api-hosts 127.0.0.1:{ApiPort} --pprof-disable -p -l info >{Log} 2>&1 </dev/null & echo $! >{_dir}/gobgpd.pid");
            Assert.True(InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(10)), $"gobgpd does not listen: {InteropScenario.ReadOrNone(Log)}");
        }

        public int Count(AddressFamily family) => Rib(family == AddressFamily.InterNetwork ? "ipv4" : "ipv6").EnumerateObject().Count();

        public ReceivedRoute? Route(string prefix)
        {
            var ipv6 = prefix.Contains(':', StringComparison.Ordinal);
            if (!Rib(ipv6 ? "ipv6" : "ipv4").TryGetProperty(prefix, out var paths))
            {
                return null;
            }
            var path = Assert.Single(paths.EnumerateArray());
            Assert.True(path.GetProperty("best").GetBoolean(), $"GoBGP did not select {prefix}: {path}");
            Assert.Equal(setup.OurAddress, path.GetProperty("neighbor-ip").GetString());
            var attributes = path.GetProperty("attrs").EnumerateArray().ToDictionary(a => a.GetProperty("type").GetInt32());
            uint? Number(int type, string name) => attributes.TryGetValue(type, out var a) ? a.GetProperty(name).GetUInt32() : null;
            var reach = ipv6 ? attributes[14] : attributes[3]; // MP_REACH_NLRI or NEXT_HOP
            return new ReceivedRoute(
                attributes[1].GetProperty("value").GetInt32() == 0 ? "IGP" : $"ORIGIN {attributes[1].GetProperty("value")}",
                attributes[2].GetProperty("as_paths").EnumerateArray().SelectMany(s => s.GetProperty("asns").EnumerateArray()).Select(a => a.GetUInt32()).ToArray(),
                [reach.GetProperty("nexthop").GetString()!],
                Number(4, "metric"),
                Number(5, "value"),
                // Communities as 32-bit values (RFC 1997: high 16 bits the AS).
                attributes.TryGetValue(8, out var communities)
                    ? communities.GetProperty("communities").EnumerateArray().Select(c => $"{c.GetUInt32() >> 16}:{c.GetUInt32() & 0xFFFF}").ToArray() : [],
                attributes.TryGetValue(32, out var large)
                    ? large.GetProperty("value").EnumerateArray().Select(l => $"{l.GetProperty("ASN")}:{l.GetProperty("LocalData1")}:{l.GetProperty("LocalData2")}").ToArray() : []);
        }

        /// <summary>
        /// GoBGP keeps the link-local next hop (its API lists both addresses), but the CLI's JSON
        /// writes MP_REACH_NLRI with the global one only.
        /// </summary>
        public bool ShowsLinkLocalNextHop => false;

        /// <summary>GoBGP keeps no notification in its neighbor state; it logs the decoded one.</summary>
        public void AssertCeaseReceived(CeaseSubcode subcode, string? communication)
        {
            string Notification() => InteropScenario.CompleteLines(Log).FirstOrDefault(l => l.Contains("msg=\"received notification\"", StringComparison.Ordinal)) ?? "";
            Assert.True(NetnsLab.WaitUntil(() => Notification().Length > 0, TimeSpan.FromSeconds(10)), Diagnostics());
            var notification = Notification();
            output.WriteLine(notification);
            Assert.Contains($"Code={(byte)BgpErrorCode.Cease} ", notification, StringComparison.Ordinal);
            Assert.Contains($"Subcode={(byte)subcode} ", notification, StringComparison.Ordinal);
            if (communication is not null)
            {
                Assert.Contains($"Communicated-Reason=\"{communication}\"", notification, StringComparison.Ordinal);
            }
        }

        public string Diagnostics() => $"{Cli($"neighbor {setup.OurAddress}")}\n{InteropScenario.ReadOrNone(Log)}";

        public void Dispose()
        {
            output.WriteLine(InteropScenario.ReadOrNone(Log));
            NetnsLab.Run($"kill $(cat {_dir}/gobgpd.pid)");
            InteropScenario.TryDelete(_dir);
        }
    }
}
