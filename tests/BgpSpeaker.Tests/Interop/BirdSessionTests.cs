using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// Our session against a real BIRD 2 in a network namespace: what BIRD received is read from
/// BIRD itself (<c>birdc show route all</c>), never from our own state.
/// </summary>
[Trait("Category", "Interop")]
public sealed partial class BirdSessionTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(InteropScenario.Cases), MemberType = typeof(InteropScenario))]
    public async Task Vips_reach_bird_with_their_attributes_leave_on_withdraw_and_see_our_cease(InteropCase @case)
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        var setup = new InteropSetup(@case);
        using var lab = new NetnsLab(setup.LabName("bird"));
        using var bird = new Bird(lab, setup, output);
        await InteropScenario.RunAsync(lab, setup, bird, output);
    }

    [Fact]
    public async Task Tcp_md5_with_the_right_password_establishes_and_with_a_wrong_one_fails_clearly()
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        using var lab = new NetnsLab("birdmd5");
        var setup = new InteropSetup(InteropCase.EbgpActiveIpv4);
        using var bird = new Bird(lab, setup, output, password: "s3cret-key");
        bird.Start();
        PeerEndpoint Endpoint(string password) => setup.Endpoint(lab) with { Password = password, ConnectTimeout = TimeSpan.FromSeconds(2) };
        // A ConnectRetry expiry abandons a connect still under way (RFC 4271 §8.2.2, Connect state),
        // so the retry interval must outlast the connect timeout for the failure to be reported.
        var options = setup.Options() with { ConnectRetryTime = TimeSpan.FromSeconds(5) };

        await using (var wrong = new PeerSession(options, Endpoint("not-the-key"), TimeProvider.System, new Random(1)))
        {
            wrong.Start();
            Assert.True(NetnsLab.WaitUntil(() => wrong.LastConnectionError is not null, TimeSpan.FromSeconds(10)));
            Assert.NotEqual(BgpState.Established, wrong.State);
            Assert.Contains("TCP MD5", wrong.LastConnectionError, StringComparison.Ordinal);
        }

        await using var right = new PeerSession(options, Endpoint("s3cret-key"), TimeProvider.System, new Random(1));
        right.Start();
        Assert.True(NetnsLab.WaitUntil(() => right.State == BgpState.Established, TimeSpan.FromSeconds(20)), $"{right.State} {right.LastConnectionError}\n{bird.Diagnostics()}");
    }

    /// <summary>
    /// BIRD configured for one case. Read with <c>birdc show route all</c> (one <c>BGP.name: value</c>
    /// line per attribute) and <c>show route count</c>; BIRD 2.0 has no JSON output.
    /// </summary>
    private sealed partial class Bird : IInteropRouter
    {
        private readonly NetnsLab _lab;
        private readonly InteropSetup _setup;
        private readonly ITestOutputHelper _output;
        private readonly string? _password;
        private readonly string _dir = Directory.CreateTempSubdirectory("bgplb-bird-").FullName;

        public Bird(NetnsLab lab, InteropSetup setup, ITestOutputHelper output, string? password = null) =>
            (_lab, _setup, _output, _password) = (lab, setup, output, password);

        /// <summary>
        /// <c>enforce first as</c>: a missing own-AS prepend on eBGP is rejected instead of accepted
        /// (BIRD does not check by default). iBGP is multihop with recursive next hops in BIRD unless
        /// <c>direct</c>, and the lab has no IGP.
        /// </summary>
        private string Config() => $$"""
            router id {{NetnsLab.PeerV4}};
            log "{{_dir}}/bird.log" all;
            protocol device { }
            protocol bgp bgplb {
              local {{_setup.RouterAddress}} as {{_setup.RouterAsn}};
              neighbor {{_setup.OurAddress}} as {{_setup.OurAsn}};
              {{(_setup.Passive ? "connect delay time 1; connect retry time 2;" : "passive on;")}}
              {{(_setup.Internal ? "direct;" : "enforce first as on;")}}
              {{(_password is null ? "" : $"password \"{_password}\";")}}
              hold time 9;
              graceful restart off;
              ipv4 { import all; export none; };
              ipv6 { import all; export none; };
            }
            """;

        private string Birdc(string command) => NetnsLab.Run($"birdc -s {_dir}/bird.ctl {command}").Output;

        public void Start()
        {
            File.WriteAllText(Path.Combine(_dir, "bird.conf"), Config());
            _lab.Ns($"bird -c {_dir}/bird.conf -s {_dir}/bird.ctl -P {_dir}/bird.pid");
            Assert.True(_setup.Passive || InteropScenario.WaitForListener(_lab, TimeSpan.FromSeconds(10)), $"bird does not listen: {Diagnostics()}");
        }

        public int Count(AddressFamily family)
        {
            var text = Birdc($"show route count table {(family == AddressFamily.InterNetwork ? "master4" : "master6")} protocol bgplb");
            var match = CountLine().Match(text);
            return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        }

        public ReceivedRoute? Route(string prefix) => ReceivedRoute.FromBird(Birdc($"show route all {prefix} protocol bgplb"));

        /// <summary>BIRD shows both IPv6 next hops in <c>BGP.next_hop</c>.</summary>
        public bool ShowsLinkLocalNextHop => true;

        /// <summary>
        /// From BIRD's log: when BIRD is the connecting side, its protocol status is overwritten as it
        /// reconnects and our listener, which no longer knows the peer, refuses it.
        /// </summary>
        public void AssertCeaseReceived(CeaseSubcode subcode, string? communication)
        {
            var expected = subcode switch
            {
                CeaseSubcode.AdministrativeShutdown => "Received: Administrative shutdown",
                CeaseSubcode.PeerDeconfigured => "Received: Peer de-configured",
                _ => throw new ArgumentOutOfRangeException(nameof(subcode), subcode, "no BIRD text known"),
            };
            string Received() => InteropScenario.CompleteLines($"{_dir}/bird.log").FirstOrDefault(l => l.Contains(expected, StringComparison.Ordinal)) ?? "";
            Assert.True(NetnsLab.WaitUntil(() => Received().Length > 0, TimeSpan.FromSeconds(10)), Diagnostics());
            _output.WriteLine(Received());
            if (communication is not null)
            {
                Assert.Contains(communication, Received(), StringComparison.Ordinal);
            }
        }

        public string Diagnostics() => $"{Birdc("show protocols all bgplb")}\n{InteropScenario.ReadOrNone($"{_dir}/bird.log")}";

        public void Dispose()
        {
            _output.WriteLine(InteropScenario.ReadOrNone($"{_dir}/bird.log"));
            NetnsLab.Run($"kill $(cat {_dir}/bird.pid)");
            InteropScenario.TryDelete(_dir);
        }

        [GeneratedRegex(@"^(\d+) of \d+ routes", RegexOptions.Multiline)]
        private static partial Regex CountLine();
    }
}
