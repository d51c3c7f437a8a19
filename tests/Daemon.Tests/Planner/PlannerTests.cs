using System.Collections.Immutable;
using BgpLb.Allocator;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Planner;
using static BgpLb.Daemon.Tests.Model.ModelTest;
using PlannerImpl = BgpLb.Daemon.Planner.Planner;

namespace BgpLb.Daemon.Tests.Planner;

public sealed class PlannerTests
{
    private static string Service(string name, string spec = "", string ns = "default") => $$"""
        apiVersion: v1
        kind: Service
        metadata: { name: {{name}}, namespace: {{ns}} }
        spec:
          type: LoadBalancer
          ports: [{ port: 80 }]
        {{string.Join("\n", spec.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l))}}
        ---

        """;

    private static string Node(string name, string labels) => $$"""
        apiVersion: v1
        kind: Node
        metadata: { name: {{name}}, labels: { {{labels}} } }
        ---

        """;

    internal const string TwoPeers = """
        apiVersion: bgplb.io/v1beta1
        kind: BGPPeer
        metadata: { name: tor-a }
        spec: { myASN: 64500, peerASN: 64512, peerAddress: 203.0.113.1 }
        ---
        apiVersion: bgplb.io/v1beta1
        kind: BGPPeer
        metadata: { name: tor-b }
        spec: { myASN: 64500, peerASN: 64500, peerAddress: 203.0.113.3 }
        ---

        """;

    /// <summary>Allocates the snapshot's Services as the daemon does, then plans for <paramref name="node"/>.</summary>
    private static Plan PlanFor(string yaml, string node = "node-1")
    {
        var snapshot = Valid(yaml);
        var allocator = new IpAllocator();
        Assert.True(allocator.SetPools(snapshot.Pools.Select(p => p.Pool)).Accepted);
        foreach (var service in snapshot.Services)
        {
            Assert.NotEqual(AllocationOutcome.Failed, allocator.Ensure(service).Outcome);
        }
        return PlannerImpl.Build(snapshot, allocator.Assignments, NodeIdentity.From(snapshot, node));
    }

    private static string[] Prefixes(Plan plan, string peer) =>
        [.. plan.Peers.Single(p => p.Key == peer).Routes.Select(r => r.Prefix.ToString()).Order(StringComparer.Ordinal)];

    [Fact]
    public void An_advertisement_without_pools_or_peers_announces_every_vip_as_a_host_route_to_every_peer()
    {
        var plan = PlanFor(Pool("vips", "198.18.0.0/30") + TwoPeers + Doc("BGPAdvertisement", "all", "{}") + Service("a") + Service("b"));
        Assert.Equal(["tor-a", "tor-b"], plan.Peers.Select(p => p.Key));
        Assert.Equal(["198.18.0.0/32", "198.18.0.1/32"], Prefixes(plan, "tor-a"));
        Assert.Equal(["198.18.0.0/32", "198.18.0.1/32"], Prefixes(plan, "tor-b"));
        Assert.Empty(plan.NotAnnounced);
    }

    [Fact]
    public void Named_peers_get_the_routes_and_the_others_get_none()
    {
        var plan = PlanFor(Pool("vips", "198.18.0.0/30") + TwoPeers + Doc("BGPAdvertisement", "to-b", "peers: [tor-b]") + Service("a"));
        Assert.Empty(Prefixes(plan, "tor-a")); // the peer still exists (its session stays up), it just holds nothing
        Assert.Equal(["198.18.0.0/32"], Prefixes(plan, "tor-b"));
    }

    [Fact]
    public void Attributes_come_from_the_advertisement_and_several_advertisements_of_one_prefix_merge()
    {
        var plan = PlanFor(Pool("vips", "198.18.0.0/30") + TwoPeers
            + Doc("BGPAdvertisement", "one", "localPref: 50\ncommunities: [\"64512:100\", \"large:4200000001:1:2\"]")
            + Doc("BGPAdvertisement", "two", "localPref: 200\ncommunities: [\"64512:200\", \"64512:100\"]")
            + Service("a"));
        var route = Assert.Single(plan.Peers.Single(p => p.Key == "tor-b").Routes);
        Assert.Equal(200u, route.LocalPref); // the highest asked for
        Assert.Equal([new Community((64512u << 16) | 100), new Community((64512u << 16) | 200)], route.Communities.ToArray());
        Assert.Equal([new LargeCommunity(4200000001, 1, 2)], route.LargeCommunities.ToArray());
    }

    [Fact]
    public void Aggregation_length_announces_one_covering_route_for_the_vips_inside_it()
    {
        var plan = PlanFor(Pool("vips", "198.18.0.0/24") + TwoPeers
            + Doc("BGPAdvertisement", "agg", "aggregationLength: 24") + Doc("BGPAdvertisement", "hosts", "peers: [tor-a]")
            + Service("a") + Service("b") + Service("c"));
        Assert.Equal(["198.18.0.0/24"], Prefixes(plan, "tor-b"));
        Assert.Equal(["198.18.0.0/24", "198.18.0.0/32", "198.18.0.1/32", "198.18.0.2/32"], Prefixes(plan, "tor-a"));
    }

    [Fact]
    public void Pools_are_selected_by_name_or_by_label_and_an_unselected_pool_is_reported_not_announced()
    {
        var yaml = Pool("named", "198.18.0.0/30") + Pool("other", "198.18.1.0/30") + """
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: { name: labelled, labels: { tier: edge } }
            spec: { addresses: [198.18.2.0/30] }
            ---

            """ + TwoPeers
            + Doc("BGPAdvertisement", "by-name", "ipAddressPools: [named]")
            + Doc("BGPAdvertisement", "by-label", "ipAddressPoolSelectors: [{ matchLabels: { tier: edge } }]")
            + Service("n", "loadBalancerIP: 198.18.0.1") + Service("o", "loadBalancerIP: 198.18.1.1") + Service("l", "loadBalancerIP: 198.18.2.1");
        var plan = PlanFor(yaml);
        Assert.Equal(["198.18.0.1/32", "198.18.2.1/32"], Prefixes(plan, "tor-a"));
        var notice = Assert.Single(plan.NotAnnounced);
        Assert.Equal(new ServiceKey("default", "o"), notice.Service);
        Assert.Equal("pool other is in no BGPAdvertisement or L2Advertisement", notice.Reason);
    }

    [Fact]
    public void Node_selectors_of_peers_and_advertisements_decide_what_this_node_announces()
    {
        var yaml = Pool("vips", "198.18.0.0/30") + Node("node-1", "rack: r1") + Node("node-2", "rack: r2") + """
            apiVersion: bgplb.io/v1beta1
            kind: BGPPeer
            metadata: { name: r1-tor }
            spec:
              myASN: 64500
              peerASN: 64512
              peerAddress: 203.0.113.1
              nodeSelectors: [{ matchLabels: { rack: r1 } }]
            ---
            apiVersion: bgplb.io/v1beta1
            kind: BGPPeer
            metadata: { name: r2-tor }
            spec:
              myASN: 64500
              peerASN: 64512
              peerAddress: 203.0.113.5
              nodeSelectors: [{ matchLabels: { rack: r2 } }]
            ---

            """ + Doc("BGPAdvertisement", "r1-only", "nodeSelectors: [{ matchLabels: { rack: r1 } }]") + Service("a");
        var one = PlanFor(yaml, "node-1");
        Assert.Equal(["r1-tor"], one.Peers.Select(p => p.Key));
        Assert.Equal(["198.18.0.0/32"], Prefixes(one, "r1-tor"));
        var two = PlanFor(yaml, "node-2");
        Assert.Equal(["r2-tor"], two.Peers.Select(p => p.Key));
        Assert.Empty(Prefixes(two, "r2-tor"));
        Assert.Contains("no advertisement of pool vips selects node node-2", Assert.Single(two.NotAnnounced).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_labelled_exclude_from_external_load_balancers_announces_nothing_and_says_why()
    {
        var yaml = Pool("vips", "198.18.0.0/30") + TwoPeers + Doc("BGPAdvertisement", "all", "{}") + Service("a")
            + Node("node-1", "node.kubernetes.io/exclude-from-external-load-balancers: \"\"") + Node("node-2", "rack: r2");
        var excluded = PlanFor(yaml, "node-1");
        Assert.Empty(Prefixes(excluded, "tor-a"));
        Assert.Empty(Prefixes(excluded, "tor-b"));
        Assert.Equal("node node-1 is labelled node.kubernetes.io/exclude-from-external-load-balancers", Assert.Single(excluded.NotAnnounced).Reason);
        Assert.Equal(["198.18.0.0/32"], Prefixes(PlanFor(yaml, "node-2"), "tor-a"));
    }

    [Fact]
    public void A_node_whose_Ready_condition_is_False_announces_nothing_and_says_why_unless_no_node_is_ready()
    {
        const string NotReady = "\nstatus: { conditions: [{ type: Ready, status: \"False\", reason: KubeletNotReady, message: \"PLEG is not healthy\" }] }\n---\n";
        const string Unknown = "\nstatus: { conditions: [{ type: Ready, status: \"Unknown\", reason: NodeStatusUnknown }] }\n---\n";
        var common = Pool("vips", "198.18.0.0/30") + TwoPeers + Doc("BGPAdvertisement", "all", "{}") + Service("a");
        var yaml = common + NodeWithStatus("node-1", NotReady) + NodeWithStatus("node-2", Unknown);

        var notReady = PlanFor(yaml, "node-1");
        Assert.Empty(Prefixes(notReady, "tor-a"));
        Assert.Equal("node node-1's Ready condition is False (KubeletNotReady: PLEG is not healthy)", Assert.Single(notReady.NotAnnounced).Reason);
        // Unknown is the control plane's silence, not the node's word: it announces.
        Assert.Equal(["198.18.0.0/32"], Prefixes(PlanFor(yaml, "node-2"), "tor-a"));

        // Every node not ready: a cluster-wide fault or a wrong report; withdrawing every VIP would make it an outage.
        var allDown = common + NodeWithStatus("node-1", NotReady) + NodeWithStatus("node-2", NotReady);
        Assert.Equal(["198.18.0.0/32"], Prefixes(PlanFor(allDown, "node-1"), "tor-a"));
    }

    private static string NodeWithStatus(string name, string status) =>
        $"apiVersion: v1\nkind: Node\nmetadata: {{ name: {name} }}" + status;

    [Fact]
    public void A_node_without_a_node_object_is_matched_by_its_hostname_label()
    {
        var yaml = Pool("vips", "198.18.0.0/30") + TwoPeers
            + Doc("BGPAdvertisement", "only-a", "nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: edge-7 } }]") + Service("a");
        Assert.Equal(["198.18.0.0/32"], Prefixes(PlanFor(yaml, "edge-7"), "tor-a"));
        Assert.Empty(Prefixes(PlanFor(yaml, "edge-8"), "tor-a"));
    }

    [Fact]
    public void External_traffic_policy_local_is_announced_only_from_a_node_with_a_ready_endpoint()
    {
        var yaml = Pool("vips", "198.18.0.0/30") + TwoPeers + Doc("BGPAdvertisement", "all", "{}")
            + Service("web", "externalTrafficPolicy: Local\nselector: { app: web }") + """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-1
              namespace: default
              labels: { kubernetes.io/service-name: web }
            addressType: IPv4
            endpoints:
              - { addresses: [10.0.0.1], conditions: { ready: true }, nodeName: node-1 }
              - { addresses: [10.0.0.2], conditions: { ready: false }, nodeName: node-2 }
            """;
        Assert.Equal(["198.18.0.0/32"], Prefixes(PlanFor(yaml, "node-1"), "tor-a"));
        var two = PlanFor(yaml, "node-2");
        Assert.Empty(Prefixes(two, "tor-a"));
        Assert.Equal("externalTrafficPolicy is Local and node node-2 has no ready endpoint", Assert.Single(two.NotAnnounced).Reason);
    }

    [Fact]
    public void Ipv6_vips_are_host_routes_of_128_bits_or_their_own_aggregation_length()
    {
        var plan = PlanFor(Pool("v6", "2001:db8:ffff::/120") + TwoPeers
            + Doc("BGPAdvertisement", "hosts", "peers: [tor-a]") + Doc("BGPAdvertisement", "agg", "peers: [tor-b]\naggregationLengthV6: 120")
            + Service("a", "ipFamilies: [IPv6]"));
        Assert.Equal(["2001:db8:ffff::/128"], Prefixes(plan, "tor-a"));
        Assert.Equal(["2001:db8:ffff::/120"], Prefixes(plan, "tor-b"));
    }

    [Fact]
    public void A_service_of_an_l2_pool_is_served_not_announced_nowhere()
    {
        // Which interfaces answer for it is L2Inputs' (L2InputsTests); the plan only must not call it unserved.
        var plan = PlanFor(Pool("vips", "198.18.0.0/30") + Doc("L2Advertisement", "eth", "interfaces: [eth1, eth2]")
            + Doc("L2Advertisement", "any", "{}") + Service("a"));
        Assert.Empty(plan.Peers);
        Assert.Empty(plan.NotAnnounced);
    }

    [Fact]
    public void A_big_plan_shares_one_attribute_set_per_advertisement()
    {
        var services = string.Concat(Enumerable.Range(0, 2000).Select(i => Service("s" + i)));
        var plan = PlanFor(Pool("vips", "198.18.0.0/20") + TwoPeers + Doc("BGPAdvertisement", "all", "communities: [\"64512:1\"]") + services);
        var routes = plan.Peers[0].Routes;
        Assert.Equal(2000, routes.Count);
        Assert.Equal(2000, routes.Select(r => r.Prefix).Distinct().Count());
        // One advertisement, one attribute set for all its routes.
        var first = routes.First();
        Assert.True(routes.All(r => r.Communities.Equals(first.Communities) && r.LocalPref == first.LocalPref));
    }
}
