using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

/// <summary>Odd YAML gives findings, never an exception: a reload must be able to reject anything it is given.</summary>
public class RobustnessTests
{
    [Theory]
    [InlineData("apiVersion: v1\napiVersion: v1\nkind: Node\nmetadata: { name: n }")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p }\nspec: 5")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: 198.18.0.0/24 }")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: IPAddressPool\nmetadata: [p]\n")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: [p] }\n")]
    [InlineData("apiVersion: [bgplb.io/v1beta1]\nkind: IPAddressPool\n")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: BGPPeer\nmetadata: { name: r }\nspec: { myASN: 99999999999999999999999, peerASN: 0x10, peerAddress: 203.0.113.1 }")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: BGPPeer\nmetadata: { name: r }\nspec: { ? [a] : b, myASN: 1 }")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: BGPPeer\nmetadata: { name: r }\nspec: { myASN: 1, peerASN: 2, peerAddress: 203.0.113.1, holdTime: 99999999999999h }")]
    [InlineData("apiVersion: bgplb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: { name: a }\nspec: { communities: [[1]], nodeSelectors: [5], ipAddressPoolSelectors: { a: b } }")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: { name: s, annotations: [a] }\nspec: { type: LoadBalancer, ports: [5], selector: [a] }")]
    [InlineData("apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata: [a]")]
    [InlineData("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: { name: e, labels: { kubernetes.io/service-name: s } }\nendpoints: [{ conditions: { ready: maybe }, nodeName: [n] }]")]
    [InlineData("%YAML 9.9\n---\na: b")]
    [InlineData("a: &x [*x]")]
    [InlineData("\t- tab")]
    public void Odd_documents_give_errors_not_exceptions(string yaml)
    {
        var result = Load(yaml);
        Assert.False(result.IsValid);
        Assert.All(result.Errors, e => Assert.Equal(FileName, e.File));
    }

    [Fact]
    public void Anchors_and_aliases_are_read_as_YAML_means_them()
    {
        var s = Valid("""
            apiVersion: bgplb.io/v1beta1
            kind: BGPPeer
            metadata: { name: a }
            spec: &peer { myASN: 1, peerASN: 2, peerAddress: 203.0.113.1 }
            ---
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: { name: p }
            spec:
              addresses: &addresses [198.18.0.0/24]
            """);
        Assert.Single(s.Peers);
        Assert.Single(s.Pools);
    }
}
