using BgpLb.L2Fallback.Liveness;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.L2Fallback.Tests.Liveness;

public class MembershipTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private static bool AllSeeAllAlive(SimulatedCluster cluster, IEnumerable<string> names) =>
        names.All(o => names.All(s => o == s || cluster[o].StatusOf(s) == MemberStatus.Alive));

    [Fact]
    public void A_started_cluster_sees_every_member_alive()
    {
        var cluster = new SimulatedCluster(5);
        cluster.Run(Settle);
        Assert.True(AllSeeAllAlive(cluster, cluster.Names));
    }

    [Fact]
    public void A_stopped_node_is_seen_dead_by_every_other_node_within_300_ms()
    {
        var cluster = new SimulatedCluster(5);
        cluster.Run(Settle);
        var stoppedAt = cluster.Now;
        cluster.Stop("n3");
        cluster.Run(TimeSpan.FromMilliseconds(300));
        foreach (var observer in cluster.Names.Where(n => n != "n3"))
        {
            Assert.False(cluster.Sees(observer, "n3"), $"{observer} still believes n3 alive 300 ms after it stopped");
        }
        var firstDeath = cluster.Log.First(l => l.Change is { Name: "n3", Status: MemberStatus.Dead }).At - stoppedAt;
        Assert.InRange(firstDeath, TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(260));
    }

    /// <summary>
    /// A drained node keeps quiet (HeartbeatLiveness.Silent): it still hears the others, they declare it
    /// dead; when it speaks again its raised incarnation, broadcast, makes every node take it back at once,
    /// not only its ring successors at their next heartbeat.
    /// </summary>
    [Fact]
    public void A_silent_node_still_hears_the_others_and_on_rejoin_every_node_sees_it_alive_within_10_ms()
    {
        var cluster = new SimulatedCluster(5);
        cluster.Run(Settle);
        var before = cluster["n3"].Incarnation;
        cluster.Drop = (from, _, _) => from == "n3";
        cluster.Run(Settle);
        foreach (var other in cluster.Names.Where(n => n != "n3"))
        {
            Assert.False(cluster.Sees(other, "n3"), $"{other} still believes the silent n3 alive");
            Assert.True(cluster.Sees("n3", other), $"the silent n3 no longer hears {other}");
        }
        cluster.Drop = (_, _, _) => false;
        cluster.Rejoin("n3");
        cluster.Run(TimeSpan.FromMilliseconds(10));
        Assert.True(cluster["n3"].Incarnation > before);
        foreach (var other in cluster.Names.Where(n => n != "n3"))
        {
            Assert.True(cluster.Sees(other, "n3"), $"{other} does not see n3 alive 10 ms after it rejoined");
        }
    }

    [Fact]
    public void Two_lost_heartbeats_in_a_row_do_not_kill_a_node()
    {
        var cluster = new SimulatedCluster(5);
        cluster.Run(Settle);
        // Everything n2 sends is lost for 110 ms: at most two heartbeats to each watcher.
        var until = cluster.Now + TimeSpan.FromMilliseconds(110);
        cluster.Drop = (from, _, _) => from == "n2" && cluster.Now < until;
        cluster.Run(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(cluster.Log, l => l.Change.Name == "n2" && l.Change.Status == MemberStatus.Dead);
    }

    [Fact]
    public void Random_loss_of_one_datagram_in_ten_never_declares_anyone_dead()
    {
        var cluster = new SimulatedCluster(6);
        cluster.Run(Settle);
        var random = new Random(8);
        cluster.Drop = (_, _, _) => random.Next(10) == 0;
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(cluster.Log, l => l.Change.Status == MemberStatus.Dead);
    }

    [Fact]
    public void A_healed_partition_converges_to_everyone_alive_on_every_node()
    {
        var cluster = new SimulatedCluster(5);
        cluster.Run(Settle);
        var left = new HashSet<string> { "n1", "n2" };
        cluster.Drop = (from, to, _) => left.Contains(from) != left.Contains(to);
        cluster.Run(TimeSpan.FromSeconds(2));
        Assert.False(cluster.Sees("n1", "n4"));
        Assert.False(cluster.Sees("n4", "n1"));
        cluster.Drop = (_, _, _) => false;
        cluster.Run(TimeSpan.FromMilliseconds(1500));
        Assert.True(AllSeeAllAlive(cluster, cluster.Names));
    }

    [Fact]
    public void A_restarted_node_is_alive_again_everywhere()
    {
        var cluster = new SimulatedCluster(4);
        cluster.Run(Settle);
        cluster.Stop("n2");
        cluster.Run(TimeSpan.FromSeconds(1));
        Assert.False(cluster.Sees("n1", "n2"));
        cluster.Start("n2");
        cluster.Run(TimeSpan.FromMilliseconds(300));
        Assert.True(AllSeeAllAlive(cluster, cluster.Names));
    }

    [Fact]
    public void A_member_never_heard_from_is_dead_after_the_startup_grace()
    {
        var cluster = new SimulatedCluster(3, absent: "n3");
        cluster.Run(TimeSpan.FromMilliseconds(400));
        Assert.True(cluster.Sees("n1", "n3"), "within the grace an unknown member counts as alive, so nobody takes over from it too early");
        cluster.Run(TimeSpan.FromMilliseconds(300));
        Assert.False(cluster.Sees("n1", "n3"));
    }

    [Fact]
    public void A_replayed_or_older_datagram_is_dropped()
    {
        var node = new Membership("n1", ["n1", "n2"], 100, new LivenessOptions());
        var sends = new List<LivenessSend>();
        node.Start(TimeSpan.Zero, sends);
        var heartbeat = new LivenessMessage(LivenessMessageType.Heartbeat, "n2", 200, 5, 200, new MemberEntry("n1", 100, MemberStatus.Alive), []);
        Assert.Equal(LivenessDropReason.None, node.Receive(heartbeat, TimeSpan.Zero, sends));
        Assert.Equal(LivenessDropReason.Replayed, node.Receive(heartbeat, TimeSpan.Zero, sends));
        Assert.Equal(LivenessDropReason.Replayed, node.Receive(heartbeat with { Sequence = 4 }, TimeSpan.Zero, sends));
        Assert.Equal(LivenessDropReason.Replayed, node.Receive(heartbeat with { Epoch = 199, Sequence = 99 }, TimeSpan.Zero, sends));
        Assert.Equal(LivenessDropReason.None, node.Receive(heartbeat with { Epoch = 201, Sequence = 1 }, TimeSpan.Zero, sends));
        Assert.Equal(LivenessDropReason.UnknownSender, node.Receive(heartbeat with { Sender = "n9" }, TimeSpan.Zero, sends));
        Assert.Equal(LivenessDropReason.FromSelf, node.Receive(heartbeat with { Sender = "n1" }, TimeSpan.Zero, sends));
    }

    [Fact]
    public void A_node_told_it_is_dead_refutes_with_a_higher_incarnation()
    {
        var node = new Membership("n1", ["n1", "n2"], 100, new LivenessOptions());
        var sends = new List<LivenessSend>();
        node.Start(TimeSpan.Zero, sends);
        sends.Clear();
        var update = new LivenessMessage(LivenessMessageType.Update, "n2", 200, 1, 200, default, [new MemberEntry("n1", 100, MemberStatus.Dead)]);
        node.Receive(update, TimeSpan.Zero, sends);
        Assert.Equal(101UL, node.Incarnation);
        Assert.Contains(sends, s => s.To == "n2" && s.Message.Entries.Contains(new MemberEntry("n1", 101, MemberStatus.Alive)));
    }

    /// <summary>Steady-state cost, measured: the figures docs/l2.md quotes come from this simulation.</summary>
    [Theory]
    [InlineData(10, 43)]
    [InlineData(100, 44)]
    [InlineData(1000, 60)]
    public void Steady_state_datagrams_per_node_per_second_stay_near_constant(int size, int perNodeBound)
    {
        var cluster = new SimulatedCluster(size);
        cluster.Run(TimeSpan.FromSeconds(2));
        var before = cluster.Delivered;
        cluster.Run(TimeSpan.FromSeconds(2));
        var perNodePerSecond = (cluster.Delivered - before) / 2.0 / size;
        output.WriteLine($"{size} nodes: {perNodePerSecond:F1} datagrams received per node per second, {perNodePerSecond * size:F0} in the cluster");
        Assert.InRange(perNodePerSecond, 35, perNodeBound);
    }
}
