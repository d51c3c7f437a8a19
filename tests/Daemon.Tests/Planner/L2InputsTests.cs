using System.Net;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Planner;
using BgpLb.L2Fallback.Election;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Planner;

/// <summary>What the daemon hands the L2 election: one L2Service per allocated Service of an L2 pool.</summary>
public sealed class L2InputsTests
{
    private static string Node(string name, string labels, string status = "") => $$"""
        apiVersion: v1
        kind: Node
        metadata: { name: {{name}}, labels: { {{labels}} } }
        {{status}}
        ---

        """;

    private static string Service(string name, string policy = "Cluster") => $$"""
        apiVersion: v1
        kind: Service
        metadata: { name: {{name}}, namespace: default }
        spec: { type: LoadBalancer, ports: [{ port: 80 }], externalTrafficPolicy: {{policy}}, ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6] }
        ---

        """;

    private static readonly string Config =
        Pool("lan", "198.18.5.0/24", "2001:db8:ffff::5:0/112") + Pool("bgp-only", "198.18.6.0/24")
        + Doc("L2Advertisement", "a", "ipAddressPools: [lan]\nnodeSelectors: [{ matchLabels: { zone: a } }]\ninterfaces: [eth1]")
        + Doc("L2Advertisement", "b", "ipAddressPools: [lan]\nnodeSelectors: [{ matchLabels: { zone: b } }]\ninterfaces: [eth2, eth1]")
        + Node("n1", "zone: a") + Node("n2", "zone: b", "status: { conditions: [{ type: NetworkUnavailable, status: \"True\" }] }")
        + Service("web") + Service("local", "Local")
        + """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: { name: local-1, namespace: default, labels: { kubernetes.io/service-name: local } }
        endpoints:
          - { nodeName: n2, conditions: { ready: true } }
          - { nodeName: n1, conditions: { ready: false } }
        """;

    private static readonly ServiceKey Web = new("default", "web");
    private static readonly ServiceKey Local = new("default", "local");

    private static Assignment Assigned(ServiceKey service, string pool, params string[] addresses) =>
        new(service, pool, [.. addresses.Select(IpAddress.Parse)]);

    [Fact]
    public void Services_of_L2_pools_carry_their_addresses_every_advertisements_selectors_and_this_nodes_interfaces()
    {
        var snapshot = Valid(Config);
        var assignments = new[]
        {
            Assigned(Web, "lan", "198.18.5.1", "2001:db8:ffff::5:1"),
            Assigned(Local, "lan", "198.18.5.2", "2001:db8:ffff::5:2"),
            Assigned(new ServiceKey("default", "other"), "bgp-only", "198.18.6.1"),
        };
        var services = L2Inputs.Services(snapshot, assignments, NodeIdentity.From(snapshot, "n1"));
        Assert.Equal(["default/web", "default/local"], services.Select(s => s.Key));
        var web = services[0];
        Assert.Equal([IPAddress.Parse("198.18.5.1"), IPAddress.Parse("2001:db8:ffff::5:1")], web.Addresses.ToArray());
        Assert.Equal(IPAddress.Parse("198.18.5.1"), web.Election.Address);
        Assert.Equal(2, web.Election.NodeSelectors.Length);
        Assert.Equal(["eth1"], web.Interfaces.ToArray());
        // No EndpointSlice and externalTrafficPolicy Cluster: ready everywhere, as the BGP plan treats it.
        Assert.Equal(["n1", "n2"], web.Election.NodesWithReadyEndpoint.Order(StringComparer.Ordinal));
        var local = services[1];
        Assert.Equal(ExternalTrafficPolicy.Local, local.Election.TrafficPolicy);
        Assert.Equal(["n2"], local.Election.NodesWithReadyEndpoint.ToArray());
        // On n2 the interfaces are those of advertisement b.
        var onN2 = L2Inputs.Services(snapshot, assignments, NodeIdentity.From(snapshot, "n2"));
        Assert.Equal(["eth1", "eth2"], onN2[0].Interfaces.ToArray());
    }

    [Fact]
    public void The_election_on_these_inputs_follows_selectors_conditions_and_endpoints()
    {
        var snapshot = Valid(Config);
        var nodes = L2Inputs.Nodes(snapshot);
        Assert.True(nodes.Single(n => n.Name == "n2").NetworkUnavailable);
        var services = L2Inputs.Services(snapshot, [Assigned(Web, "lan", "198.18.5.1"), Assigned(Local, "lan", "198.18.5.2")], NodeIdentity.From(snapshot, "n1"));
        var web = L2Election.Elect(services[0].Election, nodes, _ => true);
        Assert.Equal("n1", web.Owner);
        Assert.Equal(IneligibleReason.NetworkUnavailable, web.Ineligible["n2"]);
        var local = L2Election.Elect(services[1].Election, nodes, _ => true);
        Assert.Null(local.Owner);
        Assert.Equal(IneligibleReason.NoReadyEndpointOnNode, local.Ineligible["n1"]);
    }

    [Fact]
    public void A_node_whose_Ready_condition_is_False_is_not_elected_unless_no_node_is_ready()
    {
        const string NotReady = "status: { conditions: [{ type: Ready, status: \"False\", reason: KubeletNotReady }] }";
        var l2 = Pool("lan", "198.18.5.0/24") + Doc("L2Advertisement", "a", "ipAddressPools: [lan]") + Service("web");
        var snapshot = Valid(l2 + Node("n1", "zone: a", NotReady) + Node("n2", "zone: a"));
        var service = L2Inputs.Services(snapshot, [Assigned(Web, "lan", "198.18.5.1")], NodeIdentity.From(snapshot, "n2"))[0];

        var result = L2Election.Elect(service.Election, L2Inputs.Nodes(snapshot), _ => true);
        Assert.Equal("n2", result.Owner);
        Assert.Equal(IneligibleReason.NotReady, result.Ineligible["n1"]);

        var allDown = Valid(l2 + Node("n1", "zone: a", NotReady) + Node("n2", "zone: a", NotReady));
        Assert.All(L2Inputs.Nodes(allDown), n => Assert.False(n.NotReady));
    }

    [Fact]
    public void Without_L2Advertisements_or_L2_pools_there_is_nothing_to_elect()
    {
        var snapshot = Valid(Pool("lan", "198.18.5.0/24") + Service("web"));
        Assert.Empty(L2Inputs.Services(snapshot, [Assigned(Web, "lan", "198.18.5.1")], NodeIdentity.From(snapshot, "n1")));
    }
}
