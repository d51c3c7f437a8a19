using System.Collections.Immutable;
using System.Net;
using BgpLb.Allocator;
using BgpLb.L2Fallback.Election;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Election;

/// <summary>
/// Expected orders come from `printf '%s' "NAME#IP" | sha256sum` (coreutils), not from our code:
/// MetalLB (speaker/layer2_controller.go, ShouldAnnounce) sorts by bytes.Compare of
/// sha256.Sum256([]byte(node + "#" + ip.String())) and the first node announces.
/// </summary>
public class L2ElectionTests
{
    private static ElectionNode Node(string name, params (string Key, string Value)[] labels) =>
        new(name, labels.ToImmutableDictionary(l => l.Key, l => l.Value));

    [Fact]
    public void Hash_is_sha256_of_name_hash_ip_as_sha256sum_computes_it()
    {
        Assert.Equal("1dd143148f2f23c52138a5797577d8d622a0fbf8db3da091605eeb686cb89b33",
            Convert.ToHexStringLower(L2Election.Hash("n1", "198.18.0.10")));
        Assert.Equal("ea5d1b60031cc1909ca17c86225a409adf735ba601150b0b9f7ca096c03ac422",
            Convert.ToHexStringLower(L2Election.Hash("worker-1", "2001:db8:ffff::10")));
    }

    // sha256sum prefixes: n1 1dd14314, n2 285de89b, n3 8efe2548 (198.18.0.10);
    // n1 0922a7e9, n3 c3557efb, n2 d3c578cf (2001:db8:ffff::10);
    // node-c 6761f44a, node-b 7ef93986, node-a badf5b90 (198.18.0.10);
    // node-b 3193e23b, node-a 60152771, node-c d935ffed (2001:db8:ffff::10);
    // worker-2 2f135b34, worker-1 7fbeaafd, worker-3 fe82903d (198.18.0.10);
    // worker-2 02a86523, worker-3 c50fe5c5, worker-1 ea5d1b60 (2001:db8:ffff::10).
    [Theory]
    [InlineData("198.18.0.10", "n3,n1,n2", "n1,n2,n3")]
    [InlineData("2001:db8:ffff::10", "n1,n2,n3", "n1,n3,n2")]
    [InlineData("198.18.0.10", "node-a,node-b,node-c", "node-c,node-b,node-a")]
    [InlineData("2001:db8:ffff::10", "node-a,node-b,node-c", "node-b,node-a,node-c")]
    [InlineData("198.18.0.10", "worker-1,worker-2,worker-3", "worker-2,worker-1,worker-3")]
    [InlineData("2001:db8:ffff::10", "worker-3,worker-1,worker-2", "worker-2,worker-3,worker-1")]
    public void Order_matches_the_sha256sum_vectors(string ip, string nodes, string expected) =>
        Assert.Equal(expected.Split(','), L2Election.Order(nodes.Split(','), IPAddress.Parse(ip)));

    private static ElectionRequest Request(ExternalTrafficPolicy policy = ExternalTrafficPolicy.Cluster, ImmutableArray<ImmutableArray<LabelSelector>>? selectors = null,
        params string[] ready) =>
        new(IPAddress.Parse("198.18.0.10"), selectors ?? [[]], policy, ready.Length == 0 ? ["n1", "n2", "n3"] : [.. ready]);

    [Fact]
    public void The_first_alive_eligible_node_in_hash_order_owns()
    {
        var nodes = new[] { Node("n1"), Node("n2"), Node("n3") };
        Assert.Equal("n1", L2Election.Elect(Request(), nodes, _ => true).Owner);
        var withoutN1 = L2Election.Elect(Request(), nodes, n => n != "n1");
        Assert.Equal("n2", withoutN1.Owner);
        Assert.Equal(IneligibleReason.NotAlive, withoutN1.Ineligible["n1"]);
        Assert.Equal("n2,n3", string.Join(',', withoutN1.Candidates));
    }

    [Fact]
    public void A_node_labelled_exclude_from_external_load_balancers_is_not_a_candidate()
    {
        var result = L2Election.Elect(Request(), [Node("n1", (ElectionNode.ExcludeFromExternalLoadBalancers, "")), Node("n2")], _ => true);
        Assert.Equal("n2", result.Owner);
        Assert.Equal(IneligibleReason.ExcludedFromExternalLoadBalancers, result.Ineligible["n1"]);
    }

    [Fact]
    public void A_node_with_network_unavailable_is_not_a_candidate()
    {
        var result = L2Election.Elect(Request(), [new ElectionNode("n1", ImmutableDictionary<string, string>.Empty, NetworkUnavailable: true), Node("n2")], _ => true);
        Assert.Equal(IneligibleReason.NetworkUnavailable, result.Ineligible["n1"]);
        Assert.Equal("n2", result.Owner);
    }

    [Fact]
    public void A_node_not_ready_is_not_a_candidate()
    {
        var result = L2Election.Elect(Request(), [new ElectionNode("n1", ImmutableDictionary<string, string>.Empty, NotReady: true), Node("n2")], _ => true);
        Assert.Equal(IneligibleReason.NotReady, result.Ineligible["n1"]);
        Assert.Equal("n2", result.Owner);
    }

    [Fact]
    public void Node_selectors_of_any_advertisement_select_a_node()
    {
        var zoneB = new LabelSelector { MatchLabels = ImmutableDictionary<string, string>.Empty.Add("zone", "b") };
        var zoneC = new LabelSelector { MatchLabels = ImmutableDictionary<string, string>.Empty.Add("zone", "c") };
        var nodes = new[] { Node("n1", ("zone", "a")), Node("n2", ("zone", "b")), Node("n3", ("zone", "c")) };
        var result = L2Election.Elect(Request(selectors: [[zoneB], [zoneC]]), nodes, _ => true);
        Assert.Equal(IneligibleReason.NotSelected, result.Ineligible["n1"]);
        Assert.Equal("n2,n3", string.Join(',', result.Candidates));
    }

    [Fact]
    public void With_traffic_policy_local_only_nodes_with_a_ready_endpoint_are_candidates()
    {
        var result = L2Election.Elect(Request(ExternalTrafficPolicy.Local, ready: "n3"), [Node("n1"), Node("n2"), Node("n3")], _ => true);
        Assert.Equal("n3", result.Owner);
        Assert.Equal(IneligibleReason.NoReadyEndpointOnNode, result.Ineligible["n1"]);
    }

    [Fact]
    public void Without_any_ready_endpoint_nobody_announces()
    {
        var request = Request() with { NodesWithReadyEndpoint = [] };
        var result = L2Election.Elect(request, [Node("n1"), Node("n2")], _ => true);
        Assert.Null(result.Owner);
        Assert.Equal(IneligibleReason.NoReadyEndpoint, result.Ineligible["n1"]);
    }
}
