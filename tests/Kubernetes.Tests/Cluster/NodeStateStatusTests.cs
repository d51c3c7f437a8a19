using System.Text.Json.Nodes;
using BgpLb.Admin.V1;
using BgpLb.Daemon.Cluster;

namespace BgpLb.Kubernetes.Tests.Cluster;

/// <summary>The NodeState status as built from the daemon's views (no API server): its order and its bound.</summary>
public sealed class NodeStateStatusTests
{
    /// <summary><paramref name="count"/> Services over two peers: every seventh advertised nowhere, every third missing one peer, the rest everywhere.</summary>
    internal static List<Vip> ManyVips(int count)
    {
        var vips = new List<Vip>(count);
        for (var i = 0; i < count; i++)
        {
            var vip = new Vip { Service = $"shop/service-{i:D5}", Pool = "vips" };
            vip.Addresses.Add($"198.18.{i / 256}.{i % 256}");
            var nowhere = i % 7 == 0;
            var partly = !nowhere && i % 3 == 0;
            vip.Peers.Add(new VipPeer { Peer = "bgplb-system/router-a", Advertised = !nowhere, Reason = nowhere ? "session down (Active)" : "" });
            vip.Peers.Add(new VipPeer { Peer = "bgplb-system/router-b", Advertised = !nowhere && !partly, Reason = nowhere || partly ? "no BGPAdvertisement sends pool vips to this peer" : "" });
            vips.Add(vip);
        }
        return vips;
    }

    internal static JsonObject Build(IEnumerable<Vip> vips, NodeStateOptions options) => NodeStateStatus.Services(vips, options);

    [Fact]
    public void Ten_thousand_Services_give_at_most_the_cap_not_advertised_first_and_counts_of_all()
    {
        var status = Build(ManyVips(10_000), new NodeStateOptions());
        var services = status["services"]!.AsArray();
        Assert.Equal(NodeStateOptions.DefaultMaxServices, services.Count);
        Assert.Equal(10_000, status["servicesTotal"]!.GetValue<int>());
        Assert.Equal(10_000 - (10_000 + 6) / 7, status["servicesAdvertised"]!.GetValue<int>());
        Assert.True(status.ToJsonString().Length <= 512 * 1024 + 4096, $"{status.ToJsonString().Length} bytes");
        // 1,429 Services are advertised nowhere: the list is all of them, by name.
        Assert.All(services, s => Assert.All(s!["peers"]!.AsArray(), p => Assert.False(p!["advertised"]!.GetValue<bool>())));
        var names = services.Select(s => s!["service"]!.GetValue<string>()).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void The_byte_budget_cuts_the_list_before_the_entry_cap()
    {
        var status = Build(ManyVips(10_000), new NodeStateOptions { MaxServiceBytes = 20_000 });
        var services = status["services"]!.AsArray();
        Assert.InRange(services.Count, 1, NodeStateOptions.DefaultMaxServices - 1);
        Assert.True(services.ToJsonString().Length <= 20_000, $"{services.ToJsonString().Length} bytes");
    }

    [Fact]
    public void Partly_advertised_Services_come_after_those_advertised_nowhere_and_before_the_rest()
    {
        var status = Build(ManyVips(21), new NodeStateOptions());
        var order = status["services"]!.AsArray().Select(s => s!["service"]!.GetValue<string>()).ToList();
        // 0, 7, 14: nowhere; 3, 6, 9, 12, 15, 18: one peer only; then the rest.
        Assert.Equal(["shop/service-00000", "shop/service-00007", "shop/service-00014",
            "shop/service-00003", "shop/service-00006", "shop/service-00009", "shop/service-00012", "shop/service-00015", "shop/service-00018"], order.Take(9));
        Assert.Equal(21, order.Count);
        Assert.Equal(18, status["servicesAdvertised"]!.GetValue<int>());
    }

    [Fact]
    public void Equal_states_give_equal_json_whatever_the_order_they_come_in()
    {
        var vips = ManyVips(50);
        var reversed = Enumerable.Reverse(vips).ToList();
        Assert.True(JsonNode.DeepEquals(Build(vips, new NodeStateOptions()), Build(reversed, new NodeStateOptions())));
    }
}
