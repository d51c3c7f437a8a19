using System.Net;
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
public sealed class BirdSessionTests(ITestOutputHelper output)
{
    private const uint OurAsn = InteropScenario.OurAsn;
    private const uint BirdAsn = InteropScenario.PeerAsnNumber;

    private static string BirdConfig(string dir, string? password = null, bool passive = true) => $$"""
        router id {{NetnsLab.PeerV4}};
        log "{{dir}}/bird.log" all;
        protocol device { }
        protocol bgp bgplb {
          local {{NetnsLab.PeerV4}} as {{BirdAsn}};
          neighbor {{NetnsLab.HostV4}} as {{OurAsn}};
          {{(passive ? "passive on;" : "connect delay time 1; connect retry time 2;")}}
          {{(password is null ? "" : $"password \"{password}\";")}}
          hold time 9;
          graceful restart off;
          ipv4 { import all; export none; };
          ipv6 { import all; export none; };
        }
        """;

    [Fact]
    public async Task Routes_announced_to_bird_arrive_with_their_attributes_and_leave_on_withdraw_and_shutdown()
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        using var lab = new NetnsLab("bird");
        var dir = Directory.CreateTempSubdirectory("bgplb-bird-").FullName;
        File.WriteAllText(Path.Combine(dir, "bird.conf"), BirdConfig(dir));
        var socket = Path.Combine(dir, "bird.ctl");
        lab.Ns($"bird -c {dir}/bird.conf -s {socket} -P {dir}/bird.pid");
        string Birdc(string command) => NetnsLab.Run($"birdc -s {socket} {command}").Output;

        var routes = InteropScenario.Routes();
        await using var session = InteropScenario.Session(lab);
        session.SetRoutes(routes);
        session.Start();
        try
        {
            Assert.True(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(30)), $"not Established: {session.State}, last down {session.LastDown} ({session.LastConnectionError})\n{Birdc("show protocols all bgplb")}");
            Assert.Equal(TimeSpan.FromSeconds(9), session.Negotiated!.HoldTime);
            Assert.True(session.Negotiated.Codec.FourOctetAsn);

            Assert.True(NetnsLab.WaitUntil(() => Birdc("show route count protocol bgplb").Contains("20 of 20 routes", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                Birdc("show route count protocol bgplb"));
            var v4 = Birdc("show route all 198.18.0.1/32 protocol bgplb");
            output.WriteLine(v4);
            Assert.Contains($"via {NetnsLab.HostV4}", v4, StringComparison.Ordinal);
            Assert.Contains($"BGP.as_path: {OurAsn}", v4, StringComparison.Ordinal);
            Assert.Contains("BGP.med: 100", v4, StringComparison.Ordinal);
            Assert.Contains("BGP.community: (65000,100) (65535,65281)", v4, StringComparison.Ordinal);
            Assert.Contains($"BGP.large_community: ({OurAsn}, 1, 2)", v4, StringComparison.Ordinal);
            Assert.Contains("BGP.origin: IGP", v4, StringComparison.Ordinal);
            var v6 = Birdc("show route all 2001:db8:ffff::a/128 protocol bgplb");
            output.WriteLine(v6);
            Assert.Contains($"BGP.next_hop: {NetnsLab.HostV6}", v6, StringComparison.Ordinal);

            // Withdraw half the IPv4 VIPs while the session stays up.
            session.SetRoutes(routes.Skip(5).ToList());
            Assert.True(NetnsLab.WaitUntil(() => Birdc("show route count protocol bgplb").Contains("15 of 15 routes", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                Birdc("show route count protocol bgplb"));
            Assert.DoesNotContain("198.18.0.1/32", Birdc("show route protocol bgplb"), StringComparison.Ordinal);

            // Our administrative shutdown reaches BIRD with its RFC 9003 message.
            await session.StopAsync(InteropScenario.ShutdownMessage, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            Assert.True(NetnsLab.WaitUntil(() => Birdc("show protocols all bgplb").Contains(InteropScenario.ShutdownMessage, StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                Birdc("show protocols all bgplb"));
            Assert.Equal(BgpState.Idle, session.State);
            Assert.True(NetnsLab.WaitUntil(() => Birdc("show route count protocol bgplb").Contains("0 of 0 routes", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        }
        finally
        {
            output.WriteLine(File.Exists($"{dir}/bird.log") ? File.ReadAllText($"{dir}/bird.log") : "(no bird.log)");
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }

    [Fact]
    public async Task Tcp_md5_with_the_right_password_establishes_and_with_a_wrong_one_fails_clearly()
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        using var lab = new NetnsLab("birdmd5");
        var dir = Directory.CreateTempSubdirectory("bgplb-bird-").FullName;
        File.WriteAllText(Path.Combine(dir, "bird.conf"), BirdConfig(dir, "s3cret-key"));
        lab.Ns($"bird -c {dir}/bird.conf -s {dir}/bird.ctl -P {dir}/bird.pid");
        try
        {
            var options = new PeerOptions { LocalAsn = OurAsn, PeerAsn = PeerAsn.Of(BirdAsn), RouterId = 0xCB007102 };
            PeerEndpoint Endpoint(string password) => new(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort))
            {
                LocalAddress = IPAddress.Parse(NetnsLab.HostV4),
                SocketFactory = lab.CreateSocket,
                Password = password,
                ConnectTimeout = TimeSpan.FromSeconds(2),
            };

            await using (var wrong = new PeerSession(options, Endpoint("not-the-key"), TimeProvider.System, new Random(1)))
            {
                wrong.Start();
                Assert.True(NetnsLab.WaitUntil(() => wrong.LastConnectionError is not null, TimeSpan.FromSeconds(10)));
                Assert.NotEqual(BgpState.Established, wrong.State);
                Assert.Contains("TCP MD5", wrong.LastConnectionError, StringComparison.Ordinal);
            }

            await using var right = new PeerSession(options, Endpoint("s3cret-key"), TimeProvider.System, new Random(1));
            right.Start();
            Assert.True(NetnsLab.WaitUntil(() => right.State == BgpState.Established, TimeSpan.FromSeconds(20)),
                $"{right.State} {right.LastConnectionError}\n" + NetnsLab.Run($"birdc -s {dir}/bird.ctl show protocols all bgplb").Output);
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }

    [Fact]
    public async Task Bird_connecting_to_our_listener_reaches_the_passive_peer_and_sees_its_removal()
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        using var lab = new NetnsLab("birdpas");
        var dir = Directory.CreateTempSubdirectory("bgplb-bird-").FullName;
        File.WriteAllText(Path.Combine(dir, "bird.conf"), BirdConfig(dir, passive: false));
        string Birdc(string command) => NetnsLab.Run($"birdc -s {dir}/bird.ctl {command}").Output;

        await using var speaker = new BgpSpeaker(TimeProvider.System, () => new Random(1));
        speaker.Listen(new IPEndPoint(IPAddress.Parse(NetnsLab.HostV4), PeerEndpoint.BgpPort), lab.CreateSocket);
        var options = new PeerOptions { LocalAsn = OurAsn, PeerAsn = PeerAsn.Of(BirdAsn), RouterId = 0xCB007102 };
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort));
        speaker.SetRoutes(Enumerable.Range(1, 10).Select(i => new Route(IpPrefix.Parse($"198.18.1.{i}/32"))).ToList());
        await speaker.AddOrUpdatePeerAsync("bird", options, endpoint, passive: true, CancellationToken.None);
        lab.Ns($"bird -c {dir}/bird.conf -s {dir}/bird.ctl -P {dir}/bird.pid");
        try
        {
            Assert.True(NetnsLab.WaitUntil(() => speaker.Peers.Single().State == BgpState.Established, TimeSpan.FromSeconds(20)),
                $"{speaker.Peers.Single()}\n{Birdc("show protocols all bgplb")}");
            Assert.True(NetnsLab.WaitUntil(() => Birdc("show route count protocol bgplb").Contains("10 of 10 routes", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                Birdc("show route count protocol bgplb"));

            await speaker.RemovePeerAsync("bird", null, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            Assert.Empty(speaker.Peers);
            // From BIRD's log: its protocol status is overwritten when it reconnects and our listener,
            // which no longer knows the peer, refuses it.
            Assert.True(NetnsLab.WaitUntil(() => File.ReadAllText($"{dir}/bird.log").Contains("Received: Peer de-configured", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                File.ReadAllText($"{dir}/bird.log"));
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }
}
