using BgpLb.Daemon.Model;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

public class BgpAdvertisementTests
{
    private const string Communities = """
        apiVersion: bgplb.io/v1beta1
        kind: Community
        metadata:
          name: communities
        spec:
          communities:
            - name: no-advertise
              value: "65535:65282"
            - name: big
              value: large:4200000001:7:8
        ---

        """;

    [Fact]
    public void Every_field_is_read_and_community_names_resolve_to_values()
    {
        var snapshot = Valid(Communities + Pool("vips", "198.18.0.0/24", "2001:db8:ffff::/64") + Peer("router", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1") + Doc("BGPAdvertisement", "adv", """
            ipAddressPools: [vips]
            ipAddressPoolSelectors:
              - matchLabels: { tier: front }
            aggregationLength: 24
            aggregationLengthV6: 64
            localPref: 200
            communities: ["64512:100", no-advertise, big, "large:1:2:3"]
            peers: [router]
            nodeSelectors:
              - matchLabels: { kubernetes.io/hostname: node-1 }
            """));
        var adv = Assert.Single(snapshot.BgpAdvertisements);
        Assert.Equal(["vips"], adv.IpAddressPools.ToArray());
        Assert.Equal("front", Assert.Single(adv.IpAddressPoolSelectors).MatchLabels["tier"]);
        Assert.Equal(24, adv.AggregationLength);
        Assert.Equal(64, adv.AggregationLengthV6);
        Assert.Equal(200u, adv.LocalPref);
        Assert.Equal(["64512:100", "65535:65282", "large:4200000001:7:8", "large:1:2:3"], adv.Communities.Select(c => c.ToString()));
        Assert.Equal(BgpCommunity.Standard(65535, 65282), adv.Communities[1]);
        Assert.Equal(new BgpCommunity(true, 4200000001, 7, 8), adv.Communities[2]);
        Assert.Equal(["router"], adv.Peers.ToArray());
        Assert.Single(adv.NodeSelectors);
    }

    [Fact]
    public void Defaults_are_MetalLBs()
    {
        var adv = Assert.Single(Valid(Doc("BGPAdvertisement", "adv", "{}")).BgpAdvertisements);
        Assert.Equal(32, adv.AggregationLength);
        Assert.Equal(128, adv.AggregationLengthV6);
        Assert.Null(adv.LocalPref);
        Assert.Empty(adv.Communities);
        Assert.Empty(adv.IpAddressPools);
        Assert.Empty(adv.Peers);
    }

    [Fact]
    public void A_missing_pool_or_peer_is_a_warning_not_an_error()
    {
        var result = Load(Doc("BGPAdvertisement", "adv", "ipAddressPools: [later]\npeers: [ghost]"));
        Assert.True(result.IsValid);
        Assert.Equal(
        [
            "BGPAdvertisement adv: spec.ipAddressPools: IPAddressPool \"later\" does not exist (yet): nothing of it is advertised",
            "BGPAdvertisement adv: spec.peers: BGPPeer \"ghost\" does not exist (yet): nothing is advertised to it",
        ], Warnings(result).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("aggregationLength: 33", "BGPAdvertisement adv: spec.aggregationLength: 33 is out of range [0, 32]")]
    [InlineData("aggregationLengthV6: 129", "BGPAdvertisement adv: spec.aggregationLengthV6: 129 is out of range [0, 128]")]
    [InlineData("localPref: -1", "BGPAdvertisement adv: spec.localPref: -1 is out of range [0, 4294967295]")]
    [InlineData("communities: [\"65536:1\"]", "BGPAdvertisement adv: spec.communities[0]: \"65536:1\": \"65536\" is not a number in [0, 65535]")]
    [InlineData("communities: [\"1:2:3\"]", "BGPAdvertisement adv: spec.communities[0]: \"1:2:3\" is not a community (asn:value) or the name of one")]
    [InlineData("communities: [\"large:1:2\"]", "BGPAdvertisement adv: spec.communities[0]: \"large:1:2\" is not a large community (large:global:local1:local2)")]
    [InlineData("communities: [unknown]", "BGPAdvertisement adv: spec.communities[0]: \"unknown\" is neither a community value nor the name of one in a Community object")]
    [InlineData("communities: [\"1:1\", \"1:1\"]", "BGPAdvertisement adv: spec.communities[1]: duplicate entry \"1:1\"")]
    [InlineData("ipAddressPools: [a, a]", "BGPAdvertisement adv: spec.ipAddressPools[1]: duplicate entry \"a\"")]
    [InlineData("peers: [a, a]", "BGPAdvertisement adv: spec.peers[1]: duplicate entry \"a\"")]
    [InlineData("nodeSelectors: [{ matchLabels: { a: b } }, { matchLabels: { a: b } }]", "BGPAdvertisement adv: spec.nodeSelectors[1]: duplicate selector")]
    [InlineData("vrf: red", "BGPAdvertisement adv: spec.vrf: unknown field")]
    public void Each_rule_names_the_field(string spec, string error)
    {
        Assert.Equal([error], Errors(Doc("BGPAdvertisement", "adv", spec)));
    }

    [Fact]
    public void Aggregation_shorter_than_a_pools_prefix_is_rejected_for_named_selected_and_implied_pools()
    {
        var pools = """
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata: { name: labelled, labels: { tier: front } }
            spec: { addresses: ["198.18.1.0/26"] }
            ---

            """ + Pool("named", "198.18.0.0/24", "2001:db8:ffff::/64") + Pool("range", "198.18.2.0-198.18.2.255", "198.18.3.1-198.18.3.2");
        Assert.Equal(
        [
            "BGPAdvertisement a: spec.aggregationLength: 23 is shorter than /24 of \"198.18.0.0/24\" (IPAddressPool \"named\" spec.addresses[0]): the aggregate would cover addresses outside the pool",
            "BGPAdvertisement a: spec.aggregationLengthV6: 48 is shorter than /64 of \"2001:db8:ffff::/64\" (IPAddressPool \"named\" spec.addresses[1]): the aggregate would cover addresses outside the pool",
            "BGPAdvertisement b: spec.aggregationLength: 25 is shorter than /26 of \"198.18.1.0/26\" (IPAddressPool \"labelled\" spec.addresses[0]): the aggregate would cover addresses outside the pool",
            "BGPAdvertisement c: spec.aggregationLength: 23 is shorter than /26 of \"198.18.1.0/26\" (IPAddressPool \"labelled\" spec.addresses[0]): the aggregate would cover addresses outside the pool",
            "BGPAdvertisement c: spec.aggregationLength: 23 is shorter than /24 of \"198.18.0.0/24\" (IPAddressPool \"named\" spec.addresses[0]): the aggregate would cover addresses outside the pool",
            "BGPAdvertisement c: spec.aggregationLength: 23 is shorter than /24 of \"198.18.2.0-198.18.2.255\" (IPAddressPool \"range\" spec.addresses[0]): the aggregate would cover addresses outside the pool",
            "BGPAdvertisement c: spec.aggregationLength: 23 is shorter than /32 of \"198.18.3.1-198.18.3.2\" (IPAddressPool \"range\" spec.addresses[1]): the aggregate would cover addresses outside the pool",
        ], Errors(pools
            + Doc("BGPAdvertisement", "a", "ipAddressPools: [named]\naggregationLength: 23\naggregationLengthV6: 48")
            + Doc("BGPAdvertisement", "b", "ipAddressPoolSelectors: [{ matchLabels: { tier: front } }]\naggregationLength: 25")
            + Doc("BGPAdvertisement", "c", "aggregationLength: 23")));
        Valid(pools + Doc("BGPAdvertisement", "ok", "ipAddressPools: [named]\naggregationLength: 24\naggregationLengthV6: 64"));
    }

    [Theory]
    [InlineData("198.18.0.0/24", 24)]
    [InlineData("198.18.0.0-198.18.0.255", 24)]
    [InlineData("198.18.0.1-198.18.0.2", 32)] // .1/32 and .2/32: not aligned to a /31
    [InlineData("198.18.0.0-198.18.1.127", 24)] // /24 + /25: the shortest of the covering CIDRs, as MetalLB takes it
    [InlineData("198.18.0.5-198.18.0.5", 32)]
    [InlineData("2001:db8::-2001:db8::ffff", 112)]
    public void The_prefix_of_a_range_is_the_shortest_of_the_CIDRs_that_cover_it(string text, int expected)
    {
        Assert.True(ConfigLoader.TryParseRange(text, out var range, out _));
        Assert.Equal(expected, ConfigLoader.ShortestPrefix(range));
    }

    [Fact]
    public void Two_advertisements_saying_the_same_are_rejected_as_in_MetalLB()
    {
        Assert.Equal(["BGPAdvertisement b: spec: the same as BGPAdvertisement \"a\""],
            Errors(Communities + Doc("BGPAdvertisement", "a", "communities: [\"65535:65282\"]\nnodeSelectors: [{ matchLabels: { x: y, a: b } }]")
                + Doc("BGPAdvertisement", "b", "communities: [no-advertise]\nnodeSelectors: [{ matchLabels: { a: b, x: y } }]")));
        Valid(Doc("BGPAdvertisement", "a", "localPref: 100") + Doc("BGPAdvertisement", "b", "localPref: 200"));
    }
}
