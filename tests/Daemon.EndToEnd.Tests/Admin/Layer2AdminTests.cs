using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BgpLb.BgpSpeaker.Tests.Interop;
using BgpLb.Daemon.EndToEnd.Tests.Lab;
using Xunit.Abstractions;

namespace BgpLb.Daemon.EndToEnd.Tests.Admin;

/// <summary>
/// The admin API and metrics of L2 mode, on the three-daemon lab of the L2 failover tests
/// (<see cref="L2Cluster"/>, namespaces <c>bgplbc-*</c>): <c>vips</c> names the owner, the interfaces
/// and why a node does not answer; <c>drain</c> of the owner moves the VIPs to the next node (the
/// client's neighbour entries follow) and <c>undrain</c> brings them back; the L2 counters say so.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class Layer2AdminTests(ITestOutputHelper output)
{
    private const string Prefix = "bgplbc";

    /// <summary>The failover bound of docs/l2.md (dead 200-250 ms after the last heartbeat, then a GARP) with slack for a loaded 2-core machine.</summary>
    private static readonly TimeSpan NeighbourBound = TimeSpan.FromSeconds(2);

    [Fact]
    public void Vips_name_the_l2_owner_drain_moves_the_vips_to_the_next_node_and_undrain_brings_them_back()
    {
        Require.Binaries("curl", "curl");
        using var c = new L2Cluster("drain", Prefix);
        try
        {
            foreach (var node in c.Lab.Nodes)
            {
                c.Start(node);
            }
            foreach (var node in c.Lab.Nodes)
            {
                c.Daemon(node).AssertEvent("ConfigApplied", TimeSpan.FromSeconds(60));
            }
            var (owner, next) = (c.Order[0], c.Order[1]);
            // Three runtimes starting at once on a loaded machine may miss heartbeats and flap at first.
            Assert.True(NetnsLab.WaitUntil(() => c.WaitServedBy(owner, Stopwatch.StartNew(), TimeSpan.FromSeconds(1)) is not null
                && c.Answering().SetEquals([c.Lab.MacOf(owner)]), TimeSpan.FromSeconds(30), 500), $"the client is not served by {owner} alone\n{c.Describe()}");
            Assert.True(c.ClientFollows(owner), $"the client's neighbour entries do not point at {owner}\n{c.Describe()}");

            // vips on every node: the same owner; interfaces on the owner; the others say why not. Each
            // node's view follows the heartbeats, so on a loaded machine a view may lag the client's by a
            // heartbeat or two: the views are read once they agree (bounded), then checked field by field.
            ViewsAgree(c, owner, next, owner);
            var atOwner = Vip(c, owner);
            Assert.Equal(owner, atOwner.GetProperty("l2Owner").GetString());
            Assert.Equal(["eth0"], Strings(atOwner.GetProperty("l2Interfaces")));
            Assert.Equal("", atOwner.GetProperty("l2NotOwnerReason").GetString());
            var atNext = Vip(c, next);
            Assert.Equal(owner, atNext.GetProperty("l2Owner").GetString());
            Assert.Empty(Strings(atNext.GetProperty("l2Interfaces")));
            Assert.Equal("candidate 2 of 3", atNext.GetProperty("l2NotOwnerReason").GetString());
            var table = CtlProcess.Run(["--socket", c.AdminSocket(next), "vips"]);
            Assert.True(table.Code == 0 && table.Stdout.Contains("L2-OWNER", StringComparison.Ordinal) && table.Stdout.Contains("candidate 2 of 3", StringComparison.Ordinal), table.ToString());

            // Traffic to count, then the owner's metrics.
            Assert.Equal(owner, c.Ask(L2Cluster.Vip4, TimeSpan.FromSeconds(2)));
            c.Answering();
            var ownerMetrics = c.Metrics(owner);
            Assert.Equal(2, Value(ownerMetrics, "bgplb_l2_owned_vips"));
            Assert.True(Value(ownerMetrics, "bgplb_l2_gratuitous_sent_total{interface=\"eth0\",protocol=\"arp\"}") >= 2, ownerMetrics);
            Assert.True(Value(ownerMetrics, "bgplb_l2_gratuitous_sent_total{interface=\"eth0\",protocol=\"ndp\"}") >= 1, ownerMetrics);
            Assert.True(Value(ownerMetrics, "bgplb_l2_responses_sent_total{interface=\"eth0\",protocol=\"arp\"}") >= 3, ownerMetrics);
            Assert.True(Value(ownerMetrics, "bgplb_l2_responses_sent_total{interface=\"eth0\",protocol=\"ndp\"}") >= 1, ownerMetrics);
            Assert.True(Value(ownerMetrics, "bgplb_l2_ownership_changes_total{change=\"taken\"}") >= 1, ownerMetrics);
            Assert.Equal(0, Value(c.Metrics(next), "bgplb_l2_owned_vips"));

            // Linux ignores an ARP update within locktime (1 s) of the entry's last: drain from an older entry.
            Thread.Sleep(1200);
            var clock = Stopwatch.StartNew();
            var drain = CtlProcess.Run(["--socket", c.AdminSocket(owner), "drain", "-o", "json"]);
            Assert.Equal("GracefulShutdown", drain.Json().GetProperty("phase").GetString());
            var moved = NetnsLab.WaitUntil(() => c.ClientFollows(next), TimeSpan.FromSeconds(10), 10);
            var took = clock.Elapsed;
            output.WriteLine($"neighbour entries on {next} {took.TotalMilliseconds:F0} ms after bgplbctl drain was started");
            Assert.True(moved && took < NeighbourBound + TimeSpan.FromSeconds(3), // plus bgplbctl's own start-up (a dotnet process)
                $"after the drain of {owner} the client's neighbour entries moved to {next}: {moved}, after {took.TotalMilliseconds:F0} ms\n{c.Describe()}");
            Assert.True(NetnsLab.WaitUntil(() => c.Answering().SetEquals([c.Lab.MacOf(next)]), TimeSpan.FromSeconds(10), 200),
                $"not {next} alone answers after the drain: {string.Join(' ', c.Answering())}\n{c.Describe()}");
            Assert.Equal(next, c.Ask(L2Cluster.Vip4, TimeSpan.FromSeconds(2)));
            Assert.Equal(next, c.Ask(L2Cluster.Vip6, TimeSpan.FromSeconds(2)));

            ViewsAgree(c, owner, next, next);
            var drained = Vip(c, owner);
            Assert.Equal(next, drained.GetProperty("l2Owner").GetString());
            Assert.Equal("not a candidate: this node is drained", drained.GetProperty("l2NotOwnerReason").GetString());
            Assert.Equal(next, Vip(c, next).GetProperty("l2Owner").GetString());
            var drainedMetrics = c.Metrics(owner);
            Assert.Equal(0, Value(drainedMetrics, "bgplb_l2_owned_vips"));
            Assert.True(Value(drainedMetrics, "bgplb_l2_ownership_changes_total{change=\"released\"}") >= 1, drainedMetrics);
            // The client still asks the drained node (broadcast ARP): seen, not answered.
            Assert.True(Value(drainedMetrics, "bgplb_l2_requests_ignored_total{interface=\"eth0\",protocol=\"arp\",reason=\"NotOwned\"}") >= 1, drainedMetrics);
            var nextMetrics = c.Metrics(next);
            Assert.Equal(2, Value(nextMetrics, "bgplb_l2_owned_vips"));
            Assert.True(Value(nextMetrics, "bgplb_l2_ownership_changes_total{change=\"taken\"}") >= 1, nextMetrics);

            // Undrain: the owner is a candidate again and, first in the order, takes the VIPs back.
            Thread.Sleep(1200);
            var undrain = CtlProcess.Run(["--socket", c.AdminSocket(owner), "undrain", "-o", "json"]);
            Assert.Equal("Serving", undrain.Json().GetProperty("phase").GetString());
            Assert.True(NetnsLab.WaitUntil(() => c.ClientFollows(owner), TimeSpan.FromSeconds(10), 10), $"after undrain the client did not come back to {owner}\n{c.Describe()}");
            Assert.True(NetnsLab.WaitUntil(() => c.Answering().SetEquals([c.Lab.MacOf(owner)]), TimeSpan.FromSeconds(10), 200),
                $"not {owner} alone answers after undrain: {string.Join(' ', c.Answering())}\n{c.Describe()}");
            ViewsAgree(c, owner, next, owner);
            Assert.Equal(owner, Vip(c, next).GetProperty("l2Owner").GetString());
            Assert.Equal(2, Value(c.Metrics(owner), "bgplb_l2_owned_vips"));
        }
        finally
        {
            output.WriteLine(c.Describe());
        }
    }

    /// <summary>Waits (bounded) until both nodes' <c>vips</c> name <paramref name="expected"/> as the L2 owner; fails naming each view if they do not.</summary>
    private static void ViewsAgree(L2Cluster c, string a, string b, string expected)
    {
        string Owner(string node) => Vip(c, node).GetProperty("l2Owner").GetString() ?? "";
        Assert.True(NetnsLab.WaitUntil(() => Owner(a) == expected && Owner(b) == expected, TimeSpan.FromSeconds(10), 200),
            $"the L2 owner is {expected} at the client, but {a} says {Owner(a)} and {b} says {Owner(b)}\n{c.Describe()}");
    }

    /// <summary>The one Service's line of <c>bgplbctl vips -o json</c> at <paramref name="node"/>'s daemon.</summary>
    private static JsonElement Vip(L2Cluster c, string node) =>
        CtlProcess.Run(["--socket", c.AdminSocket(node), "vips", "-o", "json"]).Json().GetProperty("vips").EnumerateArray().Single();

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>The value of the series <paramref name="series"/> (name and labels as exposed) in a scrape; fails when it is missing.</summary>
    private static double Value(string scrape, string series)
    {
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series} in the scrape:\n{scrape}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
