using System.Diagnostics;
using System.Net;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.L2Fallback.Election;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.L2Fallback.Tests.Lab;

/// <summary>
/// Three lab nodes (liveness + election + announcer, each its own process in its own namespace)
/// and a client on one bridge. The bound asserted here is the feature: when the owner dies, the
/// client's neighbour entry points at the next owner in under a second.
/// </summary>
public sealed class FailoverLabTests(ITestOutputHelper output)
{
    private const string Key = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(1);

    private sealed class Cluster : IDisposable
    {
        public Cluster(string name, string vip4, string vip6)
        {
            Lab = new L2Lab(name, nodes: 3);
            Vip4 = vip4;
            Vip6 = vip6;
            // MetalLB's order for a dual-stack Service: by its first address, for both families.
            Order = [.. L2Election.Order(Lab.Nodes, IPAddress.Parse(vip4))];
            Nodes = [.. Lab.Nodes.Select(n => new LabNodeProcess(Lab, n, Lab.Nodes, Key, [$"{vip4},{vip6}"]))];
        }

        public L2Lab Lab { get; }

        public string Vip4 { get; }

        public string Vip6 { get; }

        public List<string> Order { get; }

        public List<LabNodeProcess> Nodes { get; }

        /// <summary>When the test last changed the cluster (killed or cut off a node), on the clock the nodes and the monitor use.</summary>
        public DateTimeOffset ChangedAt { get; private set; }

        public void Change(Action change)
        {
            ChangedAt = DateTimeOffset.UtcNow;
            change();
        }

        /// <summary>When the client's kernel first pointed <paramref name="ip"/> at <paramref name="mac"/> after the last change, or null.</summary>
        public DateTimeOffset? MovedAt(string ip, MacAddress mac) => Lab.ClientMovedAt(ip, mac, ChangedAt);

        public LabNodeProcess Node(string name) => Nodes.Single(n => n.Name == name);

        public bool OnlyOwner(string owner, IEnumerable<string> alive) =>
            alive.All(n => Node(n).Owned.Contains(Vip4) == (n == owner) && Node(n).Owned.Contains(Vip6) == (n == owner));

        public string Describe() => $"changed at {ChangedAt.ToUnixTimeMilliseconds()} ({ChangedAt:HH:mm:ss.ffffff})\n" + string.Join("\n", Nodes.Select(n => n.Describe()))
            + "\nclient neighbour events:\n  " + string.Join("\n  ", Lab.ClientNeighbourEvents);

        public void Dispose()
        {
            foreach (var node in Nodes)
            {
                node.Dispose();
            }
            Lab.Dispose();
        }
    }

    private static void Settle(Cluster c)
    {
        // Three runtimes starting on a loaded machine can miss heartbeats and flap at first: wait
        // until the only owner is the elected one and nothing has changed for a second.
        var quiet = Stopwatch.StartNew();
        var seen = -1;
        Assert.True(NetnsLab.WaitUntil(() =>
        {
            var lines = c.Nodes.Sum(n => n.Lines.Count);
            if (lines != seen)
            {
                seen = lines;
                quiet.Restart();
            }
            return c.Nodes.All(n => n.Ready) && c.OnlyOwner(c.Order[0], c.Lab.Nodes) && quiet.Elapsed > TimeSpan.FromSeconds(1);
        }, TimeSpan.FromSeconds(30), 50), $"the cluster did not settle on {c.Order[0]} as the only owner:\n{c.Describe()}");
        c.Lab.TryClient($"ping -c 1 -W 1 {c.Vip4}");
        c.Lab.TryClient($"ping -6 -c 1 -W 1 {c.Vip6}");
        var owner = c.Lab.MacOf(c.Order[0]);
        Assert.True(owner == c.Lab.ClientNeighbour(c.Vip4) && owner == c.Lab.ClientNeighbour(c.Vip6),
            $"the client resolved {c.Vip4} to {c.Lab.ClientNeighbour(c.Vip4)} and {c.Vip6} to {c.Lab.ClientNeighbour(c.Vip6)}, not to {c.Order[0]} at {owner}; "
            + $"arping now: {string.Join(' ', c.Lab.ArpingMacs(c.Vip4, 2))}; MACs: {string.Join(' ', c.Lab.Nodes.Select(n => $"{n}={c.Lab.MacOf(n)}"))}\n{c.Describe()}");
        // Linux ignores ARP updates within locktime (1 s) of the last: start the cut from an entry older than that.
        Thread.Sleep(1200);
    }

    /// <summary>Waits for the client's entries of both VIPs to point at <paramref name="mac"/>; returns how long after the last change its kernel moved the later one.</summary>
    private TimeSpan WaitForClientOn(Cluster c, MacAddress mac)
    {
        var moved = NetnsLab.WaitUntil(() => c.MovedAt(c.Vip4, mac) is not null && c.MovedAt(c.Vip6, mac) is not null, TimeSpan.FromSeconds(5), 10);
        Assert.True(moved, $"the client never moved to {mac}: {c.Lab.ClientNeighbour(c.Vip4)} / {c.Lab.ClientNeighbour(c.Vip6)}\n{c.Describe()}");
        var elapsed = Max(c.MovedAt(c.Vip4, mac)!.Value, c.MovedAt(c.Vip6, mac)!.Value) - c.ChangedAt;
        // The monitor tells when; the table, read now, that it stayed so.
        Assert.True(NetnsLab.WaitUntil(() => c.Lab.ClientNeighbour(c.Vip4) == mac && c.Lab.ClientNeighbour(c.Vip6) == mac, TimeSpan.FromSeconds(5), 50),
            $"the client moved to {mac} but its table now says {c.Lab.ClientNeighbour(c.Vip4)} / {c.Lab.ClientNeighbour(c.Vip6)}\n{c.Describe()}");
        output.WriteLine($"client's neighbour entries moved to {mac} after {elapsed.TotalMilliseconds:F0} ms\n{c.Describe()}");
        return elapsed;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [Fact]
    public void When_the_owner_is_killed_the_client_follows_the_next_owner_within_a_second()
    {
        using var c = new Cluster("fokill", "198.18.2.10", "2001:db8:ffff::2:10");
        Settle(c);
        var next = c.Lab.MacOf(c.Order[1]);
        c.Change(c.Node(c.Order[0]).Kill);
        var elapsed = WaitForClientOn(c, next);
        Assert.True(elapsed < FailoverBound, $"failover took {elapsed.TotalMilliseconds:F0} ms\n{c.Describe()}");
        Assert.True(NetnsLab.WaitUntil(() => c.OnlyOwner(c.Order[1], c.Order.Skip(1)), TimeSpan.FromSeconds(2), 20), c.Describe());
        Assert.Equal([next], c.Lab.ArpingMacs(c.Vip4, count: 2));
        Assert.Equal(next, c.Lab.Ndisc6Mac(c.Vip6));
        Assert.Empty(c.Lab.ArpingMacs("198.18.2.99"));
    }

    [Fact]
    public void When_the_owners_link_goes_down_the_next_owner_takes_over_and_on_return_exactly_one_node_answers()
    {
        using var c = new Cluster("folink", "198.18.3.10", "2001:db8:ffff::3:10");
        Settle(c);
        var owner = c.Lab.MacOf(c.Order[0]);
        var next = c.Lab.MacOf(c.Order[1]);
        c.Change(() => NetnsLab.Sh($"ip -n {c.Lab.Ns(c.Order[0])} link set eth0 down"));
        var elapsed = WaitForClientOn(c, next);
        Assert.True(elapsed < FailoverBound, $"failover took {elapsed.TotalMilliseconds:F0} ms\n{c.Describe()}");

        c.Change(() => NetnsLab.Sh($"ip -n {c.Lab.Ns(c.Order[0])} link set eth0 up"));
        Assert.True(NetnsLab.WaitUntil(() => c.OnlyOwner(c.Order[0], c.Lab.Nodes), TimeSpan.FromSeconds(5), 50),
            $"after the link returned the nodes did not agree on {c.Order[0]} alone:\n{c.Describe()}");
        WaitForClientOn(c, owner);
        Assert.Equal([owner], c.Lab.ArpingMacs(c.Vip4, count: 3));
        Assert.Equal(owner, c.Lab.Ndisc6Mac(c.Vip6));
    }
}
