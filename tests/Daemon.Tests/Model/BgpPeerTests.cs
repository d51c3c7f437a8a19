using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

public class BgpPeerTests
{
    private const string Bfd = """
        apiVersion: bgplb.io/v1beta1
        kind: BFDProfile
        metadata:
          name: fast
        ---

        """;

    private const string Secret = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: router-password
          namespace: bgplb-system
        type: kubernetes.io/basic-auth
        data:
          password: czNjcjN0
        ---

        """;

    [Fact]
    public void Every_field_is_read()
    {
        var snapshot = Valid(Bfd + Secret + """
            apiVersion: bgplb.io/v1beta1
            kind: BGPPeer
            metadata:
              name: router
              namespace: bgplb-system
            spec:
              myASN: 4200000001
              peerASN: 64512
              peerAddress: 203.0.113.1
              peerPort: 1179
              sourceAddress: 203.0.113.2
              holdTime: 1m30s
              keepaliveTime: 10s
              connectTime: 5s
              routerID: 203.0.113.2
              passwordSecret:
                name: router-password
              bfdProfile: fast
              ebgpMultiHop: true
              enableGracefulRestart: true
              disableMP: true
              nodeSelectors:
                - matchLabels: { kubernetes.io/hostname: node-1 }
            """);
        var peer = Assert.Single(snapshot.Peers);
        Assert.Equal(("bgplb-system", "router"), (peer.Namespace, peer.Name));
        Assert.Equal(4200000001u, peer.MyAsn);
        Assert.Equal(64512u, peer.PeerAsn);
        Assert.Null(peer.DynamicAsn);
        Assert.Equal(IpAddress.Parse("203.0.113.1"), peer.PeerAddress);
        Assert.Equal(1179, peer.PeerPort);
        Assert.Equal(IpAddress.Parse("203.0.113.2"), peer.SourceAddress);
        Assert.Equal(TimeSpan.FromSeconds(90), peer.HoldTime);
        Assert.Equal(TimeSpan.FromSeconds(10), peer.KeepaliveTime);
        Assert.Equal(TimeSpan.FromSeconds(5), peer.ConnectTime);
        Assert.Equal(IpAddress.Parse("203.0.113.2"), peer.RouterId);
        Assert.Equal("s3cr3t", peer.Password);
        Assert.Equal("fast", peer.BfdProfile);
        Assert.True(peer.EbgpMultiHop);
        Assert.True(peer.EnableGracefulRestart);
        Assert.True(peer.DisableMP);
        Assert.Equal("node-1", Assert.Single(peer.NodeSelectors).MatchLabels["kubernetes.io/hostname"]);
    }

    [Fact]
    public void Defaults_are_MetalLBs()
    {
        var peer = Assert.Single(Valid(Peer("r", "myASN: 64512\npeerASN: 64513\npeerAddress: 203.0.113.1")).Peers);
        Assert.Equal(179, peer.PeerPort);
        Assert.Equal(TimeSpan.FromSeconds(90), peer.HoldTime);
        Assert.Equal(TimeSpan.FromSeconds(30), peer.KeepaliveTime);
        Assert.Null(peer.ConnectTime);
        Assert.Null(peer.Password);
        Assert.Null(peer.SourceAddress);
        Assert.Null(peer.RouterId);
        Assert.False(peer.EbgpMultiHop || peer.EnableGracefulRestart || peer.DisableMP);
        Assert.Empty(peer.NodeSelectors);
    }

    [Fact]
    public void A_plain_password_and_dynamic_ASN_are_read()
    {
        var peer = Assert.Single(Valid(Peer("r", "myASN: 64512\ndynamicASN: external\npeerAddress: 2001:db8::1\npassword: pw\nholdTime: 9s")).Peers);
        Assert.Equal(DynamicAsn.External, peer.DynamicAsn);
        Assert.Null(peer.PeerAsn);
        Assert.Equal("pw", peer.Password);
        Assert.Equal(TimeSpan.FromSeconds(9), peer.HoldTime);
        Assert.Equal(TimeSpan.FromSeconds(3), peer.KeepaliveTime);
    }

    [Fact]
    public void A_zero_hold_time_means_the_default_with_a_warning_as_in_MetalLB()
    {
        var result = Load(Peer("r", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 0s\nkeepaliveTime: 0s"));
        var peer = Assert.Single(result.Snapshot!.Peers);
        Assert.Equal(TimeSpan.FromSeconds(90), peer.HoldTime);
        Assert.Equal(TimeSpan.FromSeconds(30), peer.KeepaliveTime);
        Assert.Equal(["BGPPeer r: spec.holdTime: 0 means the default 90s, as in MetalLB"], Warnings(result));
    }

    [Theory]
    [InlineData("myASN: 0\npeerASN: 1\npeerAddress: 203.0.113.1", "BGPPeer r: spec.myASN: 0 is out of range [1, 4294967295]")]
    [InlineData("myASN: 4294967296\npeerASN: 1\npeerAddress: 203.0.113.1", "BGPPeer r: spec.myASN: 4294967296 is out of range [1, 4294967295]")]
    [InlineData("peerASN: 1\npeerAddress: 203.0.113.1", "BGPPeer r: spec.myASN: required")]
    [InlineData("myASN: 1\npeerAddress: 203.0.113.1", "BGPPeer r: spec.peerASN: required (or dynamicASN)")]
    [InlineData("myASN: 1\npeerASN: 2\ndynamicASN: external\npeerAddress: 203.0.113.1", "BGPPeer r: spec.dynamicASN: peerASN and dynamicASN are mutually exclusive")]
    [InlineData("myASN: 1\ndynamicASN: both\npeerAddress: 203.0.113.1", "BGPPeer r: spec.dynamicASN: \"both\" is neither \"internal\" nor \"external\"")]
    [InlineData("myASN: 1\npeerASN: 2", "BGPPeer r: spec.peerAddress: required")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 172.030.0.3", "BGPPeer r: spec.peerAddress: \"172.030.0.3\" is not an IP address")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nsourceAddress: 10.1", "BGPPeer r: spec.sourceAddress: \"10.1\" is not an IP address")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nrouterID: 2001:db8::1", "BGPPeer r: spec.routerID: \"2001:db8::1\" is not an IPv4 address (a BGP Identifier is 32 bits, RFC 4271 §4.2)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\npeerPort: 0", "BGPPeer r: spec.peerPort: 0 is out of range [1, 65535]")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 2s", "BGPPeer r: spec.holdTime: \"2s\" is invalid: must be at least 3s (RFC 4271 §4.2)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 2999ms", "BGPPeer r: spec.holdTime: \"2999ms\" is invalid: must be at least 3s (RFC 4271 §4.2)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 500ms", "BGPPeer r: spec.holdTime: \"500ms\" is invalid: must be at least 3s (RFC 4271 §4.2)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: -5s", "BGPPeer r: spec.holdTime: \"-5s\" is invalid: must be at least 3s (RFC 4271 §4.2)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 90", "BGPPeer r: spec.holdTime: \"90\" is not a duration (such as \"90s\" or \"1m30s\")")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 9s\nkeepaliveTime: 10s", "BGPPeer r: spec.keepaliveTime: \"10s\" is invalid: must not be negative nor longer than holdTime (9s)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nconnectTime: 500ms", "BGPPeer r: spec.connectTime: \"500ms\" is invalid: must be between 1s and 65535s")]
    [InlineData("myASN: 1\npeerASN: 1\npeerAddress: 203.0.113.1\nebgpMultiHop: true", "BGPPeer r: spec.ebgpMultiHop: set for an iBGP peer (myASN equals peerASN)")]
    [InlineData("myASN: 1\ndynamicASN: internal\npeerAddress: 203.0.113.1\nebgpMultiHop: true", "BGPPeer r: spec.ebgpMultiHop: set for an iBGP peer (dynamicASN internal)")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nbfdProfile: nope", "BGPPeer r: spec.bfdProfile: BFDProfile \"nope\" does not exist")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nvrf: red", "BGPPeer r: spec.vrf: not supported: BgpLb peers from the default VRF only")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\ninterface: eth0", "BGPPeer r: spec.interface: not supported: unnumbered BGP (peering over an interface) is not implemented")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\ndualStackAddressFamily: true", "BGPPeer r: spec.dualStackAddressFamily: not supported: each session carries the address family of its peer address")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdtime: 9s", "BGPPeer r: spec.holdtime: unknown field")]
    [InlineData("myASN: \"1\"\npeerASN: 2\npeerAddress: 203.0.113.1", "BGPPeer r: spec.myASN: \"1\" is not an integer")]
    [InlineData("myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nebgpMultiHop: yes", "BGPPeer r: spec.ebgpMultiHop: \"yes\" is not a boolean (true or false)")]
    public void Each_rule_names_the_field(string spec, string error)
    {
        Assert.Equal([error], Errors(Peer("r", spec)));
    }

    [Fact]
    public void Password_secret_must_exist_be_basic_auth_and_hold_a_password()
    {
        const string Opaque = """
            apiVersion: v1
            kind: Secret
            metadata: { name: opaque, namespace: ns }
            stringData: { password: x }
            ---
            apiVersion: v1
            kind: Secret
            metadata: { name: nopass, namespace: ns }
            type: kubernetes.io/basic-auth
            stringData: { username: x }
            ---

            """;
        Assert.Equal(
        [
            "BGPPeer a: spec.passwordSecret: Secret \"ns/missing\" does not exist",
            "BGPPeer b: spec.passwordSecret: Secret \"ns/opaque\" is of type \"Opaque\", not \"kubernetes.io/basic-auth\"",
            "BGPPeer c: spec.passwordSecret: Secret \"ns/nopass\" has no \"password\" key",
            "BGPPeer d: spec.passwordSecret: password and passwordSecret are mutually exclusive",
        ], Errors(Opaque
            + Peer("a", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\npasswordSecret: { name: missing, namespace: ns }")
            + Peer("b", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.2\npasswordSecret: { name: opaque, namespace: ns }")
            + Peer("c", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.3\npasswordSecret: { name: nopass, namespace: ns }")
            + Peer("d", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.4\npassword: x\npasswordSecret: { name: nopass, namespace: ns }")));
    }

    [Fact]
    public void Duplicate_peers_are_rejected_but_the_same_router_from_other_nodes_is_not()
    {
        Assert.Equal(
            ["BGPPeer b: spec.peerAddress: duplicate peer: BGPPeer \"a\" already peers with 203.0.113.1 port 179 from the same nodes"],
            Errors(Peer("a", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1")
                + Peer("b", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nholdTime: 9s")));
        Valid(Peer("a", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nnodeSelectors: [{ matchLabels: { rack: a } }]")
            + Peer("b", "myASN: 1\npeerASN: 2\npeerAddress: 203.0.113.1\nnodeSelectors: [{ matchLabels: { rack: b } }]"));
    }

    [Fact]
    public void All_errors_of_a_peer_are_reported_at_once()
    {
        Assert.Equal(4, Errors(Peer("r", "myASN: 0\npeerASN: 2\npeerAddress: 1.2.3\nholdTime: 1s\nvrf: x")).Length);
    }
}
