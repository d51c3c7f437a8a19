using BgpLb.Daemon.Model;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

public class OtherKindTests
{
    [Fact]
    public void BFDProfile_every_field_and_defaults()
    {
        var snapshot = Valid(Doc("BFDProfile", "fast", """
            receiveInterval: 50
            transmitInterval: 60
            detectMultiplier: 4
            echoInterval: 70
            echoMode: true
            passiveMode: true
            minimumTtl: 250
            """) + Doc("BFDProfile", "plain", "{}"));
        var fast = snapshot.BfdProfiles[0];
        Assert.Equal(new BfdProfileConfig("", "fast") { ReceiveInterval = 50, TransmitInterval = 60, DetectMultiplier = 4, EchoInterval = 70, EchoMode = true, PassiveMode = true, MinimumTtl = 250 }, fast);
        Assert.Equal(new BfdProfileConfig("", "plain") { ReceiveInterval = 300, TransmitInterval = 300, DetectMultiplier = 3, EchoInterval = 50, MinimumTtl = 254 }, snapshot.BfdProfiles[1]);
    }

    [Theory]
    [InlineData("receiveInterval: 9", "BFDProfile b: spec.receiveInterval: 9 is out of range [10, 60000]")]
    [InlineData("transmitInterval: 60001", "BFDProfile b: spec.transmitInterval: 60001 is out of range [10, 60000]")]
    [InlineData("detectMultiplier: 1", "BFDProfile b: spec.detectMultiplier: 1 is out of range [2, 255]")]
    [InlineData("echoInterval: 5", "BFDProfile b: spec.echoInterval: 5 is out of range [10, 60000]")]
    [InlineData("minimumTtl: 255", "BFDProfile b: spec.minimumTtl: 255 is out of range [1, 254]")]
    [InlineData("echoMode: 1", "BFDProfile b: spec.echoMode: \"1\" is not a boolean (true or false)")]
    [InlineData("multiplier: 3", "BFDProfile b: spec.multiplier: unknown field")]
    public void BFDProfile_rules(string spec, string error) => Assert.Equal([error], Errors(Doc("BFDProfile", "b", spec)));

    [Fact]
    public void BFDProfile_names_are_unique()
    {
        Assert.Equal(["BFDProfile b: metadata.name: duplicate BFDProfile \"b\" (also defined in test.yaml:1)"], Errors(Doc("BFDProfile", "b", "{}") + Doc("BFDProfile", "b", "{}")));
    }

    [Fact]
    public void Community_rules()
    {
        Assert.Equal(
        [
            "Community c: spec.communities[0].value: \"1:70000\": \"70000\" is not a number in [0, 65535]",
            "Community c: spec.communities[2].name: duplicate community name \"a\"",
            "Community c: spec.communities[3].value: required",
            "Community c: spec.communities[4].colour: unknown field",
            "Community d: spec.communities: community name \"b\" is also defined by another Community object",
        ], Errors(Doc("Community", "c", """
            communities:
              - { name: x, value: "1:70000" }
              - { name: a, value: "1:1" }
              - { name: a, value: "1:2" }
              - { name: z }
              - { name: b, value: "1:3", colour: red }
            """) + Doc("Community", "d", "communities: [{ name: b, value: \"large:1:1:1\" }]")));
    }

    [Fact]
    public void L2Advertisement_every_field()
    {
        var adv = Assert.Single(Valid(Doc("L2Advertisement", "l2", """
            ipAddressPools: [vips]
            ipAddressPoolSelectors: [{ matchLabels: { tier: front } }]
            nodeSelectors: [{ matchLabels: { kubernetes.io/hostname: node-1 } }]
            interfaces: [eth0, eth1]
            """) + Pool("vips", "198.18.0.0/24")).L2Advertisements);
        Assert.Equal(["vips"], adv.IpAddressPools.ToArray());
        Assert.Single(adv.IpAddressPoolSelectors);
        Assert.Single(adv.NodeSelectors);
        Assert.Equal(["eth0", "eth1"], adv.Interfaces.ToArray());
    }

    [Fact]
    public void L2Advertisement_rules()
    {
        var result = Load(Doc("L2Advertisement", "l2", "ipAddressPools: [later]"));
        Assert.True(result.IsValid);
        Assert.Equal(
        [
            "L2Advertisement l2: no v1 Node in the config: L2 mode elects one node per VIP among the Nodes (each with a status.addresses InternalIP for the heartbeat), so no node answers ARP/NDP",
            "L2Advertisement l2: spec.ipAddressPools: IPAddressPool \"later\" does not exist (yet): nothing of it is advertised",
        ], Warnings(result));
        Assert.Equal(
        [
            "L2Advertisement l2: spec.interfaces[1]: duplicate entry \"eth0\"",
            "L2Advertisement l2: spec.interface: unknown field",
        ], Errors(Doc("L2Advertisement", "l2", "interfaces: [eth0, eth0]\ninterface: eth0")));
    }
}
