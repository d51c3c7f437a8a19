using System.Text.RegularExpressions;
using BgpLb.Daemon.Model;
using BgpLb.Kubernetes.Tests.Support;

namespace BgpLb.Kubernetes.Tests;

/// <summary>
/// Each check the CRDs of <c>deploy/crds</c> make (CEL rules, and the schema's own bounds, enums and list
/// types): a bad object is refused by the real API server with the message written in the CRD, and the same
/// object is refused by the daemon's <see cref="ConfigLoader"/> with an error on the same field, so that a
/// cluster and a standalone file judge one object alike.
/// </summary>
[Collection(ApiServerGroup.Name)]
public sealed partial class CelRuleTests(ApiServer server) : IAsyncLifetime
{
    private const string NamespacePrefix = "bgplbk-cel";
    private static string? _namespace;

    /// <summary>One bad object: its kind and spec, what the server must say, and the field the loader must name.</summary>
    public sealed record BadObject(string Kind, string Spec, string Server, string LoaderPath);

    private const string Entry = "spec.addresses: each entry must be a CIDR (198.18.0.0/24) or a range (198.18.0.10-198.18.0.20) of IPv4 or of IPv6 addresses";
    private const string InNeedsValues = "Invalid value: \"object\": matchExpressions values: must be non-empty for operator In and NotIn";
    private const string ExistsHasNoValues = "Invalid value: \"object\": matchExpressions values: must be empty for operator Exists and DoesNotExist";
    private const string LabelKey = "(an optional DNS subdomain and '/', then at most 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric)";
    private const string LabelValue = "(at most 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric, or empty)";
    private const string Peer = "myASN: 64512\npeerAddress: 203.0.113.1\n";
    private const string CommunityValue = "spec.communities[].value: must be asn:value with two numbers of 0-65535 (RFC 1997) or large:global:local1:local2 with three of 0-4294967295 (RFC 8092)";

    public static readonly Dictionary<string, BadObject> Cases = new(StringComparer.Ordinal)
    {
        ["pool-octet-over-255"] = new("IPAddressPool", "addresses: [198.18.0.0/24, 10.0.0.300-10.0.0.4]",
            $"spec.addresses[1]: Invalid value: \"string\": {Entry}", "spec.addresses[1]"),
        ["pool-octal-octet"] = new("IPAddressPool", "addresses: [172.030.0.0/24]",
            $"spec.addresses[0]: Invalid value: \"string\": {Entry}", "spec.addresses[0]"),
        ["pool-ipv6-prefix-129"] = new("IPAddressPool", "addresses: [\"2001:db8:ffff::/129\"]",
            $"spec.addresses[0]: Invalid value: \"string\": {Entry}", "spec.addresses[0]"),
        ["pool-range-mixes-families"] = new("IPAddressPool", "addresses: [\"198.18.0.1-2001:db8::1\"]",
            $"spec.addresses[0]: Invalid value: \"string\": {Entry}", "spec.addresses[0]"),
        ["pool-no-address"] = new("IPAddressPool", "addresses: []",
            "spec.addresses: Invalid value: 0: spec.addresses in body should have at least 1 items", "spec.addresses"),
        ["pool-duplicate-address"] = new("IPAddressPool", "addresses: [198.18.0.0/24, 198.18.0.0/24]",
            "spec.addresses[1]: Duplicate value: \"198.18.0.0/24\"", "spec.addresses[1]"),
        ["pool-negative-priority"] = new("IPAddressPool", "addresses: [198.18.0.0/24]\nserviceAllocation: {priority: -1}",
            "spec.serviceAllocation.priority: Invalid value: -1: spec.serviceAllocation.priority in body should be greater than or equal to 0",
            "spec.serviceAllocation.priority"),
        ["pool-duplicate-namespace"] = new("IPAddressPool", "addresses: [198.18.0.0/24]\nserviceAllocation: {namespaces: [a, a]}",
            "spec.serviceAllocation.namespaces[1]: Duplicate value: \"a\"", "spec.serviceAllocation.namespaces[1]"),
        ["selector-in-without-values"] = new("IPAddressPool",
            "addresses: [198.18.0.0/24]\nserviceAllocation: {serviceSelectors: [{matchExpressions: [{key: app, operator: In}]}]}",
            $"spec.serviceAllocation.serviceSelectors[0].matchExpressions[0]: {InNeedsValues}",
            "spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values"),
        ["selector-exists-with-values"] = new("L2Advertisement",
            "nodeSelectors: [{matchExpressions: [{key: app, operator: Exists, values: [web]}]}]",
            $"spec.nodeSelectors[0].matchExpressions[0]: {ExistsHasNoValues}", "spec.nodeSelectors[0].matchExpressions[0].values"),
        ["selector-unknown-operator"] = new("BGPAdvertisement",
            "nodeSelectors: [{matchExpressions: [{key: app, operator: Equals, values: [web]}]}]",
            "spec.nodeSelectors[0].matchExpressions[0].operator: Unsupported value: \"Equals\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"",
            "spec.nodeSelectors[0].matchExpressions[0].operator"),

        ["selector-bad-label-key"] = new("BGPPeer", Peer + "peerASN: 64513\nnodeSelectors: [{matchLabels: {\"-rack\": r1}}]",
            $"spec.nodeSelectors[0].matchLabels: Invalid value: \"object\": matchLabels: each key must be a label key {LabelKey}",
            "spec.nodeSelectors[0].matchLabels.-rack"),
        ["selector-bad-label-value"] = new("BGPAdvertisement", "ipAddressPoolSelectors: [{matchLabels: {tier: \"edge and core\"}}]",
            $"spec.ipAddressPoolSelectors[0].matchLabels[tier]: Invalid value: \"string\": matchLabels: each value must be a label value {LabelValue}",
            "spec.ipAddressPoolSelectors[0].matchLabels.tier"),
        ["selector-bad-expression-key"] = new("IPAddressPool",
            "addresses: [198.18.0.0/24]\nserviceAllocation: {namespaceSelectors: [{matchExpressions: [{key: a/b/c, operator: Exists}]}]}",
            $"spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].key: Invalid value: \"string\": matchExpressions key: must be a label key {LabelKey}",
            "spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].key"),
        ["selector-bad-expression-value"] = new("L2Advertisement",
            "ipAddressPoolSelectors: [{matchExpressions: [{key: tier, operator: NotIn, values: [edge, \"-core\"]}]}]",
            $"spec.ipAddressPoolSelectors[0].matchExpressions[0].values[1]: Invalid value: \"string\": matchExpressions values: each must be a label value {LabelValue}",
            "spec.ipAddressPoolSelectors[0].matchExpressions[0].values[1]"),

        ["peer-my-asn-0"] = new("BGPPeer", "myASN: 0\npeerASN: 64513\npeerAddress: 203.0.113.1",
            "spec.myASN: Invalid value: 0: spec.myASN in body should be greater than or equal to 1", "spec.myASN"),
        ["peer-asn-over-32-bits"] = new("BGPPeer", Peer + "peerASN: 4294967296",
            "spec.peerASN: Invalid value: 4294967296: spec.peerASN in body should be less than or equal to 4294967295", "spec.peerASN"),
        ["peer-asn-and-dynamic-asn"] = new("BGPPeer", Peer + "peerASN: 64513\ndynamicASN: external",
            "spec: Invalid value: \"object\": spec.dynamicASN: peerASN and dynamicASN are mutually exclusive", "spec.dynamicASN"),
        ["peer-no-asn"] = new("BGPPeer", Peer,
            "spec: Invalid value: \"object\": spec.peerASN: required (or dynamicASN)", "spec.peerASN"),
        ["peer-dynamic-asn-unknown"] = new("BGPPeer", Peer + "dynamicASN: both",
            "spec.dynamicASN: Unsupported value: \"both\": supported values: \"internal\", \"external\"", "spec.dynamicASN"),
        ["peer-address-octal"] = new("BGPPeer", "myASN: 64512\npeerASN: 64513\npeerAddress: 172.030.0.3",
            "spec.peerAddress: Invalid value: \"string\": spec.peerAddress: must be an IPv4 or IPv6 address (no leading zeros, no zone)", "spec.peerAddress"),
        ["peer-source-with-zone"] = new("BGPPeer", Peer + "peerASN: 64513\nsourceAddress: fe80::1%eth0",
            "spec.sourceAddress: Invalid value: \"string\": spec.sourceAddress: must be an IPv4 or IPv6 address (no leading zeros, no zone)", "spec.sourceAddress"),
        ["peer-port-0"] = new("BGPPeer", Peer + "peerASN: 64513\npeerPort: 0",
            "spec.peerPort: Invalid value: 0: spec.peerPort in body should be greater than or equal to 1", "spec.peerPort"),
        ["peer-router-id-ipv6"] = new("BGPPeer", Peer + "peerASN: 64513\nrouterID: \"2001:db8::1\"",
            "spec.routerID: Invalid value: \"string\": spec.routerID: must be an IPv4 address (a BGP Identifier is 32 bits, RFC 4271 §4.2)", "spec.routerID"),
        ["peer-hold-time-2s"] = new("BGPPeer", Peer + "peerASN: 64513\nholdTime: 2s",
            "spec.holdTime: Invalid value: \"string\": spec.holdTime: must be a duration (90s, 1m30s) of at least 3s (RFC 4271 §4.2), or 0s for the default", "spec.holdTime"),
        ["peer-hold-time-2.9s"] = new("BGPPeer", Peer + "peerASN: 64513\nholdTime: 2.9s",
            "spec.holdTime: Invalid value: \"string\": spec.holdTime: must be a duration (90s, 1m30s) of at least 3s (RFC 4271 §4.2), or 0s for the default", "spec.holdTime"),
        ["peer-hold-time-not-a-duration"] = new("BGPPeer", Peer + "peerASN: 64513\nholdTime: 90sec",
            "spec.holdTime: Invalid value: \"string\": spec.holdTime: must be a duration (90s, 1m30s) of at least 3s (RFC 4271 §4.2), or 0s for the default", "spec.holdTime"),
        ["peer-keepalive-negative"] = new("BGPPeer", Peer + "peerASN: 64513\nkeepaliveTime: -1s",
            "spec.keepaliveTime: Invalid value: \"string\": spec.keepaliveTime: must be a duration (30s, 1m) and not negative", "spec.keepaliveTime"),
        ["peer-keepalive-over-hold"] = new("BGPPeer", Peer + "peerASN: 64513\nholdTime: 9.9s\nkeepaliveTime: 9.5s",
            "spec: Invalid value: \"object\": spec.keepaliveTime: must not be longer than holdTime (in whole seconds; 90s when unset or 0s)", "spec.keepaliveTime"),
        ["peer-keepalive-over-default-hold"] = new("BGPPeer", Peer + "peerASN: 64513\nholdTime: 0s\nkeepaliveTime: 91s",
            "spec: Invalid value: \"object\": spec.keepaliveTime: must not be longer than holdTime (in whole seconds; 90s when unset or 0s)", "spec.keepaliveTime"),
        ["peer-connect-time-0s"] = new("BGPPeer", Peer + "peerASN: 64513\nconnectTime: 0s",
            "spec.connectTime: Invalid value: \"string\": spec.connectTime: must be a duration between 1s and 65535s", "spec.connectTime"),
        ["peer-connect-time-over-65535s"] = new("BGPPeer", Peer + "peerASN: 64513\nconnectTime: 18h13m",
            "spec.connectTime: Invalid value: \"string\": spec.connectTime: must be a duration between 1s and 65535s", "spec.connectTime"),
        ["peer-password-and-secret"] = new("BGPPeer", Peer + "peerASN: 64513\npassword: secret\npasswordSecret: {name: md5}",
            "spec: Invalid value: \"object\": spec.passwordSecret: password and passwordSecret are mutually exclusive", "spec.passwordSecret"),
        ["peer-multihop-ibgp"] = new("BGPPeer", Peer + "peerASN: 64512\nebgpMultiHop: true",
            "spec: Invalid value: \"object\": spec.ebgpMultiHop: set for an iBGP peer (myASN equals peerASN)", "spec.ebgpMultiHop"),
        ["peer-multihop-dynamic-internal"] = new("BGPPeer", Peer + "dynamicASN: internal\nebgpMultiHop: true",
            "spec: Invalid value: \"object\": spec.ebgpMultiHop: set for an iBGP peer (dynamicASN internal)", "spec.ebgpMultiHop"),
        ["peer-vrf"] = new("BGPPeer", Peer + "peerASN: 64513\nvrf: red",
            "spec.vrf: Invalid value: \"string\": spec.vrf: not supported: BgpLb peers from the default VRF only", "spec.vrf"),
        ["peer-interface"] = new("BGPPeer", Peer + "peerASN: 64513\ninterface: eth0",
            "spec.interface: Invalid value: \"string\": spec.interface: not supported: unnumbered BGP (peering over an interface) is not implemented", "spec.interface"),
        ["peer-dual-stack-address-family"] = new("BGPPeer", Peer + "peerASN: 64513\ndualStackAddressFamily: true",
            "spec.dualStackAddressFamily: Invalid value: \"boolean\": spec.dualStackAddressFamily: not supported: each session carries the address family of its peer address",
            "spec.dualStackAddressFamily"),

        ["bgp-advertisement-aggregation-33"] = new("BGPAdvertisement", "aggregationLength: 33",
            "spec.aggregationLength: Invalid value: 33: spec.aggregationLength in body should be less than or equal to 32", "spec.aggregationLength"),
        ["bgp-advertisement-aggregation-v6-129"] = new("BGPAdvertisement", "aggregationLengthV6: 129",
            "spec.aggregationLengthV6: Invalid value: 129: spec.aggregationLengthV6 in body should be less than or equal to 128", "spec.aggregationLengthV6"),
        ["bgp-advertisement-local-pref-negative"] = new("BGPAdvertisement", "localPref: -1",
            "spec.localPref: Invalid value: -1: spec.localPref in body should be greater than or equal to 0", "spec.localPref"),
        ["bgp-advertisement-duplicate-pool"] = new("BGPAdvertisement", "ipAddressPools: [vips, vips]",
            "spec.ipAddressPools[1]: Duplicate value: \"vips\"", "spec.ipAddressPools[1]"),
        ["bgp-advertisement-duplicate-community"] = new("BGPAdvertisement", "communities: [\"64512:1\", \"64512:1\"]",
            "spec.communities[1]: Duplicate value: \"64512:1\"", "spec.communities[1]"),
        ["bgp-advertisement-duplicate-peer"] = new("BGPAdvertisement", "peers: [router, router]",
            "spec.peers[1]: Duplicate value: \"router\"", "spec.peers[1]"),
        ["l2-advertisement-duplicate-interface"] = new("L2Advertisement", "interfaces: [eth0, eth0]",
            "spec.interfaces[1]: Duplicate value: \"eth0\"", "spec.interfaces[1]"),

        ["bfd-receive-interval-9"] = new("BFDProfile", "receiveInterval: 9",
            "spec.receiveInterval: Invalid value: 9: spec.receiveInterval in body should be greater than or equal to 10", "spec.receiveInterval"),
        ["bfd-transmit-interval-60001"] = new("BFDProfile", "transmitInterval: 60001",
            "spec.transmitInterval: Invalid value: 60001: spec.transmitInterval in body should be less than or equal to 60000", "spec.transmitInterval"),
        ["bfd-detect-multiplier-1"] = new("BFDProfile", "detectMultiplier: 1",
            "spec.detectMultiplier: Invalid value: 1: spec.detectMultiplier in body should be greater than or equal to 2", "spec.detectMultiplier"),
        ["bfd-echo-interval-5"] = new("BFDProfile", "echoInterval: 5",
            "spec.echoInterval: Invalid value: 5: spec.echoInterval in body should be greater than or equal to 10", "spec.echoInterval"),
        ["bfd-minimum-ttl-255"] = new("BFDProfile", "minimumTtl: 255",
            "spec.minimumTtl: Invalid value: 255: spec.minimumTtl in body should be less than or equal to 254", "spec.minimumTtl"),

        ["community-value-over-16-bits"] = new("Community", "communities: [{name: edge, value: \"65536:1\"}]",
            $"spec.communities[0].value: Invalid value: \"string\": {CommunityValue}", "spec.communities[0].value"),
        ["community-large-over-32-bits"] = new("Community", "communities: [{name: edge, value: \"large:4294967296:1:1\"}]",
            $"spec.communities[0].value: Invalid value: \"string\": {CommunityValue}", "spec.communities[0].value"),
        ["community-not-a-value"] = new("Community", "communities: [{name: edge, value: \"no-export\"}]",
            $"spec.communities[0].value: Invalid value: \"string\": {CommunityValue}", "spec.communities[0].value"),
        ["community-duplicate-name"] = new("Community", "communities: [{name: edge, value: \"64512:1\"}, {name: edge, value: \"64512:2\"}]",
            "spec.communities[1]: Duplicate value: map[string]interface {}{\"name\":\"edge\"}", "spec.communities[1].name"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    public async Task InitializeAsync()
    {
        await Deploy.InstallCrdsAsync(server);
        _namespace ??= await Kubectl.CreateNamespaceAsync(server, NamespacePrefix);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task The_api_server_refuses_the_object_with_the_message_of_the_crd(string name)
    {
        var c = Cases[name];
        var result = await Kubectl.RunAsync(server, Yaml(name, c), "create", "-n", _namespace!, "-f", "-");
        Assert.False(result.Succeeded, $"the server accepted {c.Kind} {name}:\n{Yaml(name, c)}");
        Assert.True(result.Stderr.Contains(c.Server, StringComparison.Ordinal), $"expected \"{c.Server}\"; the server said:\n{result.Stderr}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void The_config_loader_refuses_the_same_object_naming_the_same_field(string name)
    {
        var c = Cases[name];
        var result = ConfigLoader.LoadText(name + ".yaml", Yaml(name, c));
        Assert.False(result.IsValid, $"the loader accepted {c.Kind} {name}:\n{Yaml(name, c)}");
        Assert.True(result.Errors.Any(e => e.Path == c.LoaderPath),
            $"no error on {c.LoaderPath}; the loader said:\n{string.Join('\n', result.Diagnostics)}");
    }

    [Fact]
    public void Every_case_names_the_field_the_server_names()
    {
        // The server reports a rule of a whole object (spec) at that object; its message then names the field.
        // It writes a map's key as matchLabels[tier] where the loader writes matchLabels.tier.
        foreach (var (name, c) in Cases)
        {
            var serverPath = MapKey().Replace(c.Server[..c.Server.IndexOf(": ", StringComparison.Ordinal)], ".$1");
            Assert.True(c.LoaderPath.StartsWith(serverPath, StringComparison.Ordinal) || c.Server.Contains(c.LoaderPath + ": ", StringComparison.Ordinal),
                $"{name}: the server names {serverPath}, the loader {c.LoaderPath}");
        }
    }

    [GeneratedRegex(@"\[([^\]0-9][^\]]*)\]")]
    private static partial Regex MapKey();

    private static string Yaml(string name, BadObject c) =>
        $"apiVersion: bgplb.io/v1beta1\nkind: {c.Kind}\nmetadata:\n  name: {name}\nspec:\n  {c.Spec.Replace("\n", "\n  ", StringComparison.Ordinal)}\n";
}
