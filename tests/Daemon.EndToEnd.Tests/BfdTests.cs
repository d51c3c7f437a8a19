using System.Diagnostics;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>A BGPPeer with a bfdProfile: the daemon runs BFD with the router, which then notices a silent daemon in BFD time.</summary>
[Trait("Category", "EndToEnd")]
public sealed class BfdTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A frozen daemon (SIGSTOP) keeps its TCP connection open and sends nothing: without BFD the
    /// router would wait out the 9 s hold time. With BFD at 300 ms x 3 it detects the silence in about
    /// 0.9 s (RFC 5880 §6.8.4) and takes the BGP session down (RFC 5882 §4.3). The bound, 5 s, is the
    /// feature (well under the hold time) with slack for a loaded machine.
    /// </summary>
    [Fact]
    public void Bird_sees_our_bfd_session_up_and_drops_the_bgp_session_in_bfd_time_when_the_daemon_freezes()
    {
        using var lab = new EndToEndLab("bfd-bird");
        var setup = RouterSetup.Ebgp with { Bfd = true };
        using var bird = new BirdRouter(lab, setup);
        bird.Start();
        lab.WriteConfig(new DaemonConfig { Router = setup, Bfd = true, Services = [new("web")] }.ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            bird.AssertHolds(["198.18.0.1/32"], daemon, Bound, "after start");
            Assert.True(NetnsLab.WaitUntil(() => bird.BfdState() == "Up", TimeSpan.FromSeconds(30)),
                $"BIRD's BFD session with the node is {bird.BfdState() ?? "missing"}\n{bird.Birdc("show bfd sessions")}\n{bird.Diagnostics()}");
            Assert.True(bird.Established(), $"BGP went down while BFD came up\n{bird.Diagnostics()}");

            NetnsLab.Sh($"kill -STOP {daemon.Pid}");
            var frozen = Stopwatch.StartNew();
            Assert.True(NetnsLab.WaitUntil(() => !bird.Established(), TimeSpan.FromSeconds(5), pollMilliseconds: 20),
                $"BIRD still has the BGP session 5 s after the daemon froze (hold time 9 s)\n{bird.Birdc("show bfd sessions")}\n{bird.Diagnostics()}");
            output.WriteLine($"BIRD dropped the BGP session {frozen.ElapsedMilliseconds} ms after SIGSTOP");
            Assert.Contains("BFD session down", bird.ProtocolsAll(), StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }
}
