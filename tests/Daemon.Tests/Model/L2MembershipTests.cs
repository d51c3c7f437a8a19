using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

/// <summary>L2 mode's membership in standalone mode: Nodes with InternalIPs and the memberlist Secret (docs/l2.md).</summary>
public sealed class L2MembershipTests
{
    private const string Key = "0123456789abcdef0123456789abcdef";

    private static string Node(string name, string? address, string extra = "") => $$"""
        apiVersion: v1
        kind: Node
        metadata: { name: {{name}} }
        status:
          addresses:
            - { type: Hostname, address: {{name}} }
        {{(address is null ? "" : $"    - {{ type: InternalIP, address: \"{address}\" }}")}}
        {{extra}}
        ---

        """;

    private static string Memberlist(string key = Key, string ns = "metallb-system") => $"""
        apiVersion: v1
        kind: Secret
        metadata: {"{"} name: memberlist, namespace: {ns} {"}"}
        stringData: {"{"} secretkey: "{key}" {"}"}
        ---

        """;

    private static readonly string L2 = Pool("lan", "198.18.5.0/24") + Doc("L2Advertisement", "lan", "ipAddressPools: [lan]");

    [Fact]
    public void A_Node_is_read_with_its_InternalIPs_and_its_NetworkUnavailable_condition()
    {
        var snapshot = Valid(Node("n1", "198.51.100.11", """
              conditions:
                - { type: Ready, status: "True" }
                - { type: NetworkUnavailable, status: "True" }
            """.Replace("\n", "\n    ", StringComparison.Ordinal)) + Node("n2", "2001:db8:2::12"));
        var n1 = snapshot.Nodes.Single(n => n.Name == "n1");
        Assert.Equal([IpAddress.Parse("198.51.100.11")], n1.InternalAddresses.ToArray());
        Assert.True(n1.NetworkUnavailable);
        var n2 = snapshot.Nodes.Single(n => n.Name == "n2");
        Assert.Equal([IpAddress.Parse("2001:db8:2::12")], n2.InternalAddresses.ToArray());
        Assert.False(n2.NetworkUnavailable);
    }

    [Theory]
    [InlineData("{ type: Ready, status: \"False\", reason: KubeletNotReady, message: \"container runtime network not ready\" }", "KubeletNotReady: container runtime network not ready")]
    [InlineData("{ type: Ready, status: \"False\", reason: KubeletNotReady }", "KubeletNotReady")]
    [InlineData("{ type: Ready, status: \"False\" }", "no reason given")]
    [InlineData("{ type: Ready, status: \"Unknown\", reason: NodeStatusUnknown }", null)]
    [InlineData("{ type: Ready, status: \"True\" }", null)]
    [InlineData("{ type: MemoryPressure, status: \"False\" }", null)]
    public void A_Node_is_not_ready_only_when_its_kubelet_says_Ready_False(string condition, string? notReady)
    {
        var snapshot = Valid(Node("n1", "198.51.100.11", "  conditions: [" + condition + "]"));
        Assert.Equal(notReady, snapshot.Nodes.Single().NotReady);
    }

    [Fact]
    public void A_bad_InternalIP_is_an_error_naming_the_Node_and_the_field()
    {
        Assert.Equal(["Node n1: status.addresses[1].address: \"198.51.100.011\" is not an IP address"], Errors(Node("n1", "198.51.100.011")));
    }

    [Fact]
    public void The_memberlist_key_must_be_there_long_enough_and_one()
    {
        Assert.Equal(["Secret metallb-system/memberlist: data.secretkey: 5 octets; the L2 heartbeat key needs at least 16"], Errors(Memberlist("short")));
        Assert.Equal(["Secret default/memberlist: data.secretkey: required: the L2 heartbeat key (e.g. the output of openssl rand -base64 32)"],
            Errors("apiVersion: v1\nkind: Secret\nmetadata: { name: memberlist }\nstringData: { other: x }\n"));
        var two = Errors(Memberlist() + Memberlist(ns: "other"));
        Assert.Equal("Secret other/memberlist: metadata.name: a second Secret \"memberlist\" (the first is metallb-system/memberlist at test.yaml:1): the L2 heartbeat key must be one",
            Assert.Single(two));
    }

    [Fact]
    public void L2Advertisements_without_Nodes_or_without_a_key_for_several_Nodes_are_warned_about()
    {
        Assert.Contains(Warnings(Load(L2)), w => w.StartsWith("L2Advertisement lan: no v1 Node in the config", StringComparison.Ordinal));
        Assert.Empty(Warnings(Load(L2 + Node("n1", null))));
        var noKey = Warnings(Load(L2 + Node("n1", "198.51.100.11") + Node("n2", null)));
        Assert.Equal(
        [
            "L2Advertisement lan: 2 v1 Nodes and no Secret \"memberlist\" with key \"secretkey\": their L2 heartbeat cannot be authenticated, so no node answers ARP/NDP",
            "Node n2: status.addresses: no address of type InternalIP: the L2 heartbeat cannot reach this node, so it is never elected for an L2 VIP and its daemon answers no ARP/NDP",
        ], noKey);
        Assert.Empty(Warnings(Load(L2 + Node("n1", "198.51.100.11") + Node("n2", "198.51.100.12") + Memberlist())));
    }

    [Fact]
    public void Resolve_gives_every_Node_with_an_InternalIP_and_the_key_or_says_why_not()
    {
        var good = Valid(L2 + Node("n2", "198.51.100.12") + Node("n1", "198.51.100.11") + Node("n3", null) + Node("n4", "2001:db8:2::14") + Memberlist());
        var membership = L2Membership.Resolve(good, "n1", out var problem);
        Assert.Null(problem);
        Assert.NotNull(membership);
        // n3 has no InternalIP, n4 none of n1's family: neither can be heard.
        Assert.Equal(["n1=198.51.100.11", "n2=198.51.100.12"], membership.Members.Select(m => $"{m.Name}={m.Address}"));
        Assert.Null(L2Membership.Resolve(good, "n4", out problem));
        Assert.Equal("Node n4 has no status.addresses entry of type InternalIP in IPv4 (the heartbeat's family, from the first Node with an InternalIP): the others cannot hear it, so it answers no ARP/NDP", problem);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(Key), membership.Key.ToArray());
        Assert.False(membership.Alone);

        Assert.Null(L2Membership.Resolve(good, "n9", out problem));
        Assert.Equal("this node (n9, --node) is not among the config's v1 Nodes (n2, n1, n3, n4): it cannot take part in L2 elections and answers no ARP/NDP", problem);
        Assert.Null(L2Membership.Resolve(good, "n3", out problem));
        Assert.StartsWith("Node n3 has no status.addresses entry of type InternalIP", problem, StringComparison.Ordinal);
        Assert.Null(L2Membership.Resolve(Valid(L2), "n1", out problem));
        Assert.StartsWith("L2Advertisements need the v1 Node objects", problem, StringComparison.Ordinal);
        Assert.Null(L2Membership.Resolve(Valid(L2 + Node("n1", "198.51.100.11") + Node("n2", "198.51.100.12")), "n1", out problem));
        Assert.StartsWith("2 v1 Nodes and no Secret \"memberlist\"", problem, StringComparison.Ordinal);

        var alone = L2Membership.Resolve(Valid(L2 + Node("n1", null)), "n1", out problem);
        Assert.Null(problem);
        Assert.True(alone!.Alone);
        Assert.True(alone.Key.IsEmpty);
    }
}
