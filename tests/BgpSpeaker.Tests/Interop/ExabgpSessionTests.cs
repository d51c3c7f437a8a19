using System.Net.Sockets;
using System.Text.Json;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Our speaker against a real ExaBGP 4 in a network namespace: what ExaBGP received is what its
/// JSON API printed (one object a line, written to a file by a small consumer process), never our
/// own state.
/// </summary>
[Trait("Category", "Interop")]
public sealed class ExabgpSessionTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(InteropScenario.Cases), MemberType = typeof(InteropScenario))]
    public async Task Vips_reach_exabgp_with_their_attributes_leave_on_withdraw_and_see_our_cease(InteropCase @case)
    {
        InteropScenario.RequireBinaries("exabgp", "exabgp", "python3");
        var setup = new InteropSetup(@case);
        using var lab = new NetnsLab(setup.LabName("exabgp"));
        using var exabgp = new Exabgp(lab, setup, output);
        await InteropScenario.RunAsync(lab, setup, exabgp, output);
    }

    /// <summary>ExaBGP configured for one case, read through <see cref="ExabgpApi"/>.</summary>
    private sealed class Exabgp(NetnsLab lab, InteropSetup setup, ITestOutputHelper output) : IInteropRouter
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-exabgp-").FullName;

        private string Received => Path.Combine(_dir, "received.jsonl");

        private string Log => Path.Combine(_dir, "exabgp.log");

        public void Start()
        {
            File.WriteAllText(Path.Combine(_dir, "exabgp.conf"), ExabgpApi.Config(_dir, Received, setup, holdTime: 9));
            File.WriteAllText(Path.Combine(_dir, "consumer.py"), ExabgpApi.Consumer);
            File.WriteAllText(Received, "");
            lab.Ns(ExabgpApi.StartCommand(_dir, setup.RouterAddress, Log));
            Assert.True(setup.Passive || InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(15)), $"exabgp does not listen: {Diagnostics()}");
        }

        private List<JsonElement> Messages() => ExabgpApi.Messages(Received);

        private Dictionary<string, ExabgpRoute> Rib() => ExabgpApi.Rib(Messages());

        public int Count(AddressFamily family)
        {
            var name = family == AddressFamily.InterNetwork ? "ipv4 unicast" : "ipv6 unicast";
            return Rib().Values.Count(r => r.Family == name);
        }

        public ReceivedRoute? Route(string prefix)
        {
            if (!Rib().TryGetValue(prefix, out var route))
            {
                return null;
            }
            Assert.Equal(prefix.Contains(':', StringComparison.Ordinal) ? "ipv6 unicast" : "ipv4 unicast", route.Family);
            var a = route.Attributes;
            uint? Number(string name) => a.TryGetProperty(name, out var value) ? value.GetUInt32() : null;
            // Communities as [high, low] pairs, large ones as [global, local1, local2].
            string[] Lists(string name) => a.TryGetProperty(name, out var value)
                ? value.EnumerateArray().Select(c => string.Join(':', c.EnumerateArray().Select(n => n.GetUInt32()))).ToArray() : [];
            return new ReceivedRoute(
                a.GetProperty("origin").GetString()!.ToUpperInvariant(),
                a.TryGetProperty("as-path", out var path) ? path.EnumerateArray().Select(n => n.GetUInt32()).ToArray() : [],
                route.NextHops,
                Number("med"),
                Number("local-preference"),
                Lists("community"),
                Lists("large-community"));
        }

        /// <summary>As a second next hop, see <see cref="ExabgpApi.Rib"/>.</summary>
        public bool ShowsLinkLocalNextHop => true;

        /// <summary>
        /// ExaBGP 4.2.21 cannot decode a Cease/2 carrying an RFC 9003 communication on Python 3
        /// (Notification.__init__ formats the decoded str into bytes: TypeError), so it reports
        /// "can not decode update message of type 3" instead of the text. With <c>packets</c> its API
        /// still prints the raw NOTIFICATION it received, before decoding: that is asserted here.
        /// </summary>
        public void AssertCeaseReceived(CeaseSubcode subcode, string? communication)
        {
            static bool IsNotification(JsonElement m) =>
                m.GetProperty("type").GetString() == "notification" && m.GetProperty("neighbor").GetProperty("direction").GetString() == "receive"
                && m.GetProperty("neighbor").GetProperty("message").TryGetProperty("category", out var c) && c.GetInt32() == 3;
            Assert.True(NetnsLab.WaitUntil(() => Messages().Any(IsNotification), TimeSpan.FromSeconds(10)), Diagnostics());
            var packet = Messages().First(IsNotification).GetProperty("neighbor").GetProperty("message");
            output.WriteLine(packet.ToString());
            var body = Convert.FromHexString(packet.GetProperty("body").GetString()!.Replace("0x", "", StringComparison.Ordinal));
            Assert.Equal((byte)BgpErrorCode.Cease, body[0]);
            Assert.Equal((byte)subcode, body[1]);
            if (communication is null)
            {
                Assert.Equal(2, body.Length);
                return;
            }
            Assert.Equal(body.Length - 3, body[2]); // RFC 9003 length octet, then the UTF-8 text and nothing after it
            Assert.Equal(communication, System.Text.Encoding.UTF8.GetString(body, 3, body[2]));
        }

        public string Diagnostics() =>
            $"{InteropScenario.ReadOrNone(Received)}\n{InteropScenario.ReadOrNone(Log)}\n{InteropScenario.ReadOrNone($"{_dir}/stdout.log")}";

        public void Dispose()
        {
            output.WriteLine(InteropScenario.ReadOrNone(Log));
            output.WriteLine(InteropScenario.ReadOrNone($"{_dir}/stdout.log"));
            NetnsLab.Run($"kill $(cat {_dir}/exabgp.pid)");
            InteropScenario.TryDelete(_dir);
        }
    }
}
