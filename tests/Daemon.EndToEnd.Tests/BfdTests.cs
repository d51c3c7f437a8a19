using System.Diagnostics;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>
/// A BGPPeer with a bfdProfile, the daemon as a process (its BFD in its worker process) against
/// BIRD (<c>protocol bfd</c>, <c>bfd on</c>) and FRR (bfdd, <c>neighbor X bfd profile fast</c>).
/// What the router negotiated and holds is read from the router.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class BfdTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A frozen node (daemon and BFD worker SIGSTOPped) keeps its TCP connection open and sends
    /// nothing: without BFD the router would wait out the 9 s hold time. With BFD at 300 ms x 3 it
    /// detects the silence in about 0.9 s (RFC 5880 §6.8.4) and takes the BGP session down (RFC 5882
    /// §4.3). The bound, 5 s, is the feature (well under the hold time) with slack for a loaded machine.
    /// </summary>
    [Fact]
    public void Bird_sees_our_bfd_session_up_and_drops_the_bgp_session_in_bfd_time_when_the_node_freezes()
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

            var worker = daemon.WorkerPid() ?? throw new InvalidOperationException($"the daemon has no BFD worker\n{daemon.Output()}");
            NetnsLab.Sh($"kill -STOP {daemon.Pid} {worker}");
            var frozen = Stopwatch.StartNew();
            Assert.True(NetnsLab.WaitUntil(() => !bird.Established(), TimeSpan.FromSeconds(5), pollMilliseconds: 20),
                $"BIRD still has the BGP session 5 s after the node froze (hold time 9 s)\n{bird.Birdc("show bfd sessions")}\n{bird.Diagnostics()}");
            output.WriteLine($"BIRD dropped the BGP session {frozen.ElapsedMilliseconds} ms after SIGSTOP");
            Assert.Contains("BFD session down", bird.ProtocolsAll(), StringComparison.Ordinal);
            NetnsLab.Sh($"kill -CONT {daemon.Pid} {worker}");
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    /// <summary>
    /// At 50 ms x 3 both ways: the router shows our intervals; a BFDProfile edit and SIGHUP changes
    /// them through a Poll Sequence with no flap of BFD or BGP at the router; a silent cut (nftables
    /// drop-all in the node) takes BGP down at the router in BFD time, not hold time, and withdraws our
    /// route; the daemon holds its BGP session until BFD is Up again; SIGKILL of the daemon ends its worker.
    /// </summary>
    [Theory]
    [InlineData("bird")]
    [InlineData("frr")]
    public void Profile_change_without_a_flap_and_a_silent_cut_drops_bgp_until_bfd_is_up(string kind)
    {
        using var lab = new EndToEndLab($"bfdc-{kind}");
        var setup = RouterSetup.Ebgp with { Bfd = true, BfdInterval = 50 };
        using var router = Routers.Create(kind, lab, setup);
        router.Start();
        var config = new DaemonConfig { Router = setup, Bfd = true, BfdInterval = 50, Services = [new("web")] };
        lab.WriteConfig(config.ToString());
        using var daemon = lab.StartDaemon();
        try
        {
            router.AssertHolds(["198.18.0.1/32"], daemon, Bound, "after start");
            Assert.True(NetnsLab.WaitUntil(() => router.BfdSession() == ("Up", 50), Bound),
                $"{router.Name}'s BFD session with the node: {router.BfdSession()}\n{router.Diagnostics()}\n{daemon.Output()}");
            Assert.True(router.Established(), $"BGP went down while BFD came up\n{router.Diagnostics()}");
            var identity = router.BgpSessionIdentity();
            Assert.NotEqual("", identity);

            // RFC 5880 §6.5 / §6.8.3: the new intervals travel in a Poll Sequence; the session stays Up.
            lab.WriteConfig((config with { BfdInterval = 100 }).ToString());
            NetnsLab.Sh($"kill -HUP {daemon.Pid}");
            Assert.True(NetnsLab.WaitUntil(() => router.BfdSession() == ("Up", 100), TimeSpan.FromSeconds(20)),
                $"{router.Name}'s BFD session after the profile change: {router.BfdSession()}\n{router.Diagnostics()}\n{daemon.Output()}");
            Assert.Equal(identity, router.BgpSessionIdentity());
            Assert.True(router.Established());
            if (router is FrrRouter frr)
            {
                Assert.Equal(0, frr.BfdSessionDowns());
                output.WriteLine(frr.BfdPeerText());
            }
            Assert.Empty(daemon.LinesOf("BfdDown"));

            // The silent cut: nothing in or out of the node, no link event.
            lab.Node("nft add table inet cut");
            lab.Node("nft add chain inet cut in { type filter hook input priority -10 \\; policy drop \\; }");
            lab.Node("nft add chain inet cut out { type filter hook output priority -10 \\; policy drop \\; }");
            var cut = Stopwatch.StartNew();
            Assert.True(NetnsLab.WaitUntil(() => !router.Established(), TimeSpan.FromSeconds(4), pollMilliseconds: 10),
                $"{router.Name} still has the BGP session 4 s after the cut (BFD 100 ms x 3, hold time 9 s)\n{router.Diagnostics()}");
            output.WriteLine($"{router.Name} dropped the BGP session {cut.ElapsedMilliseconds} ms after the cut");
            router.AssertHolds([], daemon, TimeSpan.FromSeconds(10), "after the cut");
            daemon.AssertEvent("BfdDown", TimeSpan.FromSeconds(10));
            Thread.Sleep(TimeSpan.FromSeconds(2));
            lab.Node("nft delete table inet cut");

            // RFC 5882 §4.3: BGP comes back only once BFD is Up again.
            router.AssertHolds(["198.18.0.1/32"], daemon, Bound, "after the cut ended");
            var events = daemon.Events().ToList();
            var down = events.IndexOf("BfdDown");
            var up = events.FindIndex(down, e => e == "BfdUp");
            var established = events.FindIndex(down, e => e == "SessionUp");
            Assert.True(up > down && established > up, $"after BfdDown the daemon's BGP session came back before BFD was Up: {string.Join(", ", events.Skip(down))}");

            var worker = daemon.WorkerPid() ?? throw new InvalidOperationException($"the daemon has no BFD worker\n{daemon.Output()}");
            daemon.Kill();
            Assert.True(NetnsLab.WaitUntil(() => Gone(worker), TimeSpan.FromSeconds(10)),
                $"the BFD worker (PID {worker}) outlived the daemon's SIGKILL by 10 s");
        }
        finally
        {
            output.WriteLine(daemon.Output());
        }
    }

    /// <summary>Exited: no such process, or a zombie its new parent has not reaped yet.</summary>
    private static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
