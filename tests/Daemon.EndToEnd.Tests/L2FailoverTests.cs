using System.Diagnostics;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests;

/// <summary>
/// L2 mode of <c>bgplb run</c>, three daemons on one segment (<see cref="L2Cluster"/>). The failover
/// bound is the feature (docs/l2.md: dead 200-250 ms after the last heartbeat, then a gratuitous
/// ARP / unsolicited NA at once), asserted with slack for a loaded 2-core machine.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class L2FailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan NeighbourBound = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan ServiceBound = TimeSpan.FromSeconds(2);

    /// <summary>Starts every daemon and waits until the client reaches the Service through the elected owner only.</summary>
    private static void Settle(L2Cluster c)
    {
        foreach (var node in c.Lab.Nodes)
        {
            c.Start(node);
        }
        foreach (var node in c.Lab.Nodes)
        {
            c.Daemon(node).AssertEvent("ConfigApplied", TimeSpan.FromSeconds(60));
        }
        var owner = c.Order[0];
        // Three runtimes starting at once on a loaded machine may miss heartbeats and flap at first;
        // after a flap the client's entries follow the owner's next announcement round (1.1 s).
        Assert.True(NetnsLab.WaitUntil(() => c.WaitServedBy(owner, Stopwatch.StartNew(), TimeSpan.FromSeconds(1)) is not null
            && c.Answering().SetEquals([c.Lab.MacOf(owner)]) && c.ClientFollows(owner), TimeSpan.FromSeconds(30), 500),
            $"the client is not served by {owner} alone, or its neighbour entries do not point at {owner}\n{c.Describe()}");
        // Linux ignores an ARP update within locktime (1 s) of the entry's last: cut from an older entry.
        Thread.Sleep(1200);
    }

    /// <summary>Runs <paramref name="test"/> on a settled cluster with the Service's owner and next candidate; the daemons' logs go to the test output either way.</summary>
    private void Settled(string name, Action<L2Cluster, string, string> test)
    {
        using var c = new L2Cluster(name);
        try
        {
            Settle(c);
            test(c, c.Order[0], c.Order[1]);
        }
        finally
        {
            output.WriteLine(c.Describe());
        }
    }

    /// <summary>
    /// The neighbour bound from the client kernel's own events (<see cref="L2Lab.ClientMovedAt"/>),
    /// not from this test's polling; TCP through the new owner from the test's clock.
    /// </summary>
    private void AssertFailover(L2Cluster c, string next, DateTimeOffset cutAt, Stopwatch clock)
    {
        var mac = c.Lab.MacOf(next);
        var moved = NetnsLab.WaitUntil(() => c.Lab.ClientMovedAt(L2Cluster.Vip4, mac, cutAt) is not null && c.Lab.ClientMovedAt(L2Cluster.Vip6, mac, cutAt) is not null,
            TimeSpan.FromSeconds(5), 10);
        var neighbour = moved
            ? new[] { c.Lab.ClientMovedAt(L2Cluster.Vip4, mac, cutAt)!.Value, c.Lab.ClientMovedAt(L2Cluster.Vip6, mac, cutAt)!.Value }.Max() - cutAt
            : clock.Elapsed;
        var served = c.WaitServedBy(next, clock, TimeSpan.FromSeconds(5));
        output.WriteLine($"neighbour entries on {next} after {neighbour.TotalMilliseconds:F0} ms; TCP through {next} after {served?.TotalMilliseconds:F0} ms");
        Assert.True(moved && neighbour < NeighbourBound, $"the client's neighbour entries moved to {next} after {neighbour.TotalMilliseconds:F0} ms (moved: {moved})\n{c.Describe()}"
            + $"\nclient neighbour events (cut at {cutAt:HH:mm:ss.ffffff}):\n  {string.Join("\n  ", c.Lab.ClientNeighbourEvents)}");
        Assert.True(ClientFollowsSoon(c, next), $"the client's table does not point at {next}\n{c.Describe()}");
        Assert.True(served < ServiceBound, $"TCP through {next} answered after {served?.TotalMilliseconds:F0} ms\n{c.Describe()}");
    }

    private static bool ClientFollowsSoon(L2Cluster c, string node) => NetnsLab.WaitUntil(() => c.ClientFollows(node), TimeSpan.FromSeconds(5), 50);

    private static void AssertOnlyOwner(L2Cluster c, string owner)
    {
        var mac = c.Lab.MacOf(owner);
        Assert.True(NetnsLab.WaitUntil(() => c.Answering().SetEquals([mac]), TimeSpan.FromSeconds(10), 200),
            $"not {owner} ({mac}) alone answers: {string.Join(' ', c.Answering())}\n{c.Describe()}");
        // Stays so: three more rounds of three ARP requests and a solicitation each.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal([mac], c.Answering());
        }
        Assert.Equal(owner, c.Ask(L2Cluster.Vip4, TimeSpan.FromSeconds(2)));
        Assert.Equal(owner, c.Ask(L2Cluster.Vip6, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void When_the_owners_daemon_is_killed_the_next_node_serves_the_vip_and_on_restart_only_the_owner_answers()
    {
        Settled("kill", (c, owner, next) =>
        {
            var cutAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            c.Daemon(owner).Kill();
            AssertFailover(c, next, cutAt, clock);
            AssertOnlyOwner(c, next);
            Assert.Contains(c.Daemon(next).Messages(), m => m.Contains($"is answered by {next} (was {owner}); this node: owner", StringComparison.Ordinal));

            c.Start(owner).AssertEvent("ConfigApplied", TimeSpan.FromSeconds(60));
            AssertOnlyOwner(c, owner);
        });
    }

    [Fact]
    public void When_the_owner_is_cut_silently_the_next_node_serves_the_vip_and_after_the_cut_heals_only_the_owner_answers()
    {
        Settled("cut", (c, owner, next) =>
        {
            var cutAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            c.Cut(owner);
            AssertFailover(c, next, cutAt, clock);
            AssertOnlyOwner(c, next);

            c.Heal(owner);
            AssertOnlyOwner(c, owner);
            Assert.True(ClientFollowsSoon(c, owner), $"the client did not come back to {owner}\n{c.Describe()}");
        });
    }

    [Fact]
    public void Sigterm_stops_answering_at_once_and_the_next_node_takes_over()
    {
        Settled("term", (c, owner, next) =>
        {
            var cutAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            Assert.Equal(0, c.Daemon(owner).Terminate(TimeSpan.FromSeconds(15)));
            AssertFailover(c, next, cutAt, clock);
            AssertOnlyOwner(c, next);
        });
    }

    [Fact]
    public void A_reload_re_elects_in_place_and_an_invalid_one_keeps_the_owner_answering()
    {
        Settled("reload", (c, owner, next) =>
        {
            c.WriteConfig(extra: "apiVersion: bgplb.io/v1beta1\nkind: L2Advertisement\nmetadata: { name: bad }\nspec: { interfacez: [eth0] }\n");
            foreach (var node in c.Lab.Nodes)
            {
                c.Daemon(node).AssertEvent("ConfigRejected", TimeSpan.FromSeconds(30));
            }
            AssertOnlyOwner(c, owner);

            // The owner's Node is now excluded from load balancers: the next node takes the VIPs, the heartbeat runs on.
            c.WriteConfig(excluded: owner);
            Assert.True(NetnsLab.WaitUntil(() => c.ClientFollows(next), TimeSpan.FromSeconds(30), 50), $"the client did not move to {next}\n{c.Describe()}");
            AssertOnlyOwner(c, next);
            Assert.Contains(c.Daemon(owner).Messages(), m => m.Contains($"is answered by {next} (was {owner}); this node: not a candidate: ExcludedFromExternalLoadBalancers", StringComparison.Ordinal));
            foreach (var node in c.Lab.Nodes)
            {
                Assert.Single(c.Daemon(node).LinesOf("L2HeartbeatStarted"));
            }
        });
    }
}
