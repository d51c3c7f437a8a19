using BgpLb.Allocator;
using static BgpLb.Daemon.Tests.Model.ModelTest;

namespace BgpLb.Daemon.Tests.Model;

public class IpAddressPoolTests
{
    [Fact]
    public void Every_field_is_read_into_the_allocators_pool()
    {
        var snapshot = Valid("""
            apiVersion: bgplb.io/v1beta1
            kind: IPAddressPool
            metadata:
              name: vips
              namespace: bgplb-system
              labels: { tier: front }
            spec:
              addresses:
                - 198.18.0.0/24
                - 198.18.1.10-198.18.1.20
                - 2001:db8:ffff::/64
              autoAssign: false
              avoidBuggyIPs: true
              serviceAllocation:
                priority: 5
                namespaces: [web, api]
                namespaceSelectors:
                  - matchLabels: { team: a }
                serviceSelectors:
                  - matchExpressions:
                      - { key: app, operator: In, values: [web] }
            """);
        var config = Assert.Single(snapshot.Pools);
        Assert.Equal("bgplb-system", config.Namespace);
        Assert.Equal("front", config.Labels["tier"]);
        var pool = config.Pool;
        Assert.Equal("vips", pool.Name);
        Assert.Equal(["198.18.0.0/24", "198.18.1.10-198.18.1.20", "2001:db8:ffff::/64"], pool.Addresses.Select(r => r.Text));
        Assert.Equal(IpAddress.Parse("198.18.1.10"), pool.Addresses[1].First);
        Assert.Equal(IpAddress.Parse("198.18.1.20"), pool.Addresses[1].Last);
        Assert.Equal(IpAddress.Parse("2001:db8:ffff::ffff:ffff:ffff:ffff"), pool.Addresses[2].Last);
        Assert.False(pool.AutoAssign);
        Assert.True(pool.AvoidBuggyIPs);
        var allocation = pool.ServiceAllocation!;
        Assert.Equal(5, allocation.Priority);
        Assert.Equal(["web", "api"], allocation.Namespaces.ToArray());
        Assert.Equal("a", Assert.Single(allocation.NamespaceSelectors).MatchLabels["team"]);
        var requirement = Assert.Single(Assert.Single(allocation.ServiceSelectors).MatchExpressions);
        Assert.Equal(new LabelSelectorRequirement("app", SelectorOperator.In, ["web"]).Key, requirement.Key);
        Assert.Equal(SelectorOperator.In, requirement.Operator);
        Assert.Equal(["web"], requirement.Values.ToArray());
    }

    [Fact]
    public void Defaults_are_MetalLBs()
    {
        var pool = Assert.Single(Valid(Pool("p", "198.18.0.0/24")).Pools).Pool;
        Assert.True(pool.AutoAssign);
        Assert.False(pool.AvoidBuggyIPs);
        Assert.Null(pool.ServiceAllocation);
    }

    [Fact]
    public void Every_bad_address_is_reported_at_once_with_its_index()
    {
        Assert.Equal(
        [
            "IPAddressPool p: spec.addresses[1]: \"10.0.0.300-10.0.0.4\" is not an IPv4 range",
            "IPAddressPool p: spec.addresses[2]: \"172.030.0.0/24\" is not an IPv4 CIDR",
            "IPAddressPool p: spec.addresses[3]: \"198.18.0.1\" is neither a CIDR (198.18.0.0/24) nor a range (198.18.0.10-198.18.0.20)",
            "IPAddressPool p: spec.addresses[4]: \"2001:db8::g/64\" is not an IPv6 CIDR",
            "IPAddressPool p: spec.addresses[5]: invalid IP range \"198.18.0.9-198.18.0.1\": start is after end",
            "IPAddressPool p: spec.addresses[6]: invalid IP range \"198.18.0.1-2001:db8::1\": the ends are of different families",
            "IPAddressPool p: spec.addresses[7]: \"198.18.0.0/33\" is not an IPv4 CIDR",
            "IPAddressPool p: spec.addresses[8]: \"198.18.0.0/024\" is not an IPv4 CIDR",
        ], Errors(Pool("p", "198.19.0.0/24", "10.0.0.300-10.0.0.4", "172.030.0.0/24", "198.18.0.1", "2001:db8::g/64",
            "198.18.0.9-198.18.0.1", "198.18.0.1-2001:db8::1", "198.18.0.0/33", "198.18.0.0/024")));
    }

    [Fact]
    public void A_pool_without_addresses_is_an_error()
    {
        Assert.Equal(["IPAddressPool p: spec.addresses: required: at least one CIDR or range"], Errors(Doc("IPAddressPool", "p", "autoAssign: true")));
        Assert.Equal(
            ["IPAddressPool p: spec.autoAssign: \"1\" is not a boolean (true or false)", "IPAddressPool p: spec.addresses: required: at least one CIDR or range"],
            Errors(Doc("IPAddressPool", "p", "autoAssign: 1\naddresses: []")));
    }

    [Fact]
    public void Overlapping_pools_are_rejected_naming_both()
    {
        Assert.Equal(
            ["IPAddressPool b: spec.addresses[0]: \"198.18.0.128-198.18.1.5\" overlaps \"198.18.0.0/24\" of IPAddressPool \"a\""],
            Errors(Pool("a", "198.18.0.0/24") + Pool("b", "198.18.0.128-198.18.1.5")));
    }

    [Fact]
    public void Overlapping_entries_in_one_pool_are_rejected()
    {
        Assert.Equal(
            ["IPAddressPool a: spec.addresses[1]: \"198.18.0.0/25\" overlaps \"198.18.0.0/24\" of IPAddressPool \"a\""],
            Errors(Pool("a", "198.18.0.0/24", "198.18.0.0/25")));
    }

    [Fact]
    public void Two_pools_with_one_name_are_rejected()
    {
        Assert.Equal(["IPAddressPool a: metadata.name: duplicate IPAddressPool \"a\" (also defined in test.yaml:1)"],
            Errors(Pool("a", "198.18.0.0/24") + Pool("a", "198.18.1.0/24")));
    }

    [Fact]
    public void Field_types_are_strict_and_unknown_fields_are_errors()
    {
        Assert.Equal(
        [
            "IPAddressPool p: spec.autoAssign: \"yes\" is not a boolean (true or false)",
            "IPAddressPool p: spec.serviceAllocation.priority: \"1\" is not an integer",
            "IPAddressPool p: spec.serviceAllocation.namespaces[1]: duplicate entry \"a\"",
            "IPAddressPool p: spec.serviceAllocation.colour: unknown field",
            "IPAddressPool p: spec.protocol: unknown field",
        ], Errors(Doc("IPAddressPool", "p", """
            addresses: [198.18.0.0/24]
            autoAssign: "yes"
            serviceAllocation:
              priority: "1"
              namespaces: [a, a]
              colour: blue
            protocol: bgp
            """)));
    }

    [Fact]
    public void Selectors_are_checked_as_Kubernetes_checks_them()
    {
        Assert.Equal(
        [
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[0].matchLabels.-bad: \"-bad\" is not a valid label key",
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[1].matchExpressions[0].operator: \"Has\" is not a selector operator (In, NotIn, Exists, DoesNotExist)",
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[2].matchExpressions[0].values: must be empty for operator Exists",
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[3].matchExpressions[0].values: must be non-empty for operator NotIn",
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[4].matchExpressions[0].values[0]: \"bad value!\" is not a valid label value",
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[6]: duplicate selector",
            "IPAddressPool p: spec.serviceAllocation.serviceSelectors[7].matchLabel: unknown field",
        ], Errors(Doc("IPAddressPool", "p", """
            addresses: [198.18.0.0/24]
            serviceAllocation:
              serviceSelectors:
                - matchLabels: { -bad: x }
                - matchExpressions: [{ key: a, operator: Has, values: [x] }]
                - matchExpressions: [{ key: a, operator: Exists, values: [x] }]
                - matchExpressions: [{ key: a, operator: NotIn }]
                - matchExpressions: [{ key: a, operator: In, values: ["bad value!"] }]
                - matchLabels: { example.com/app: web }
                - matchLabels: { example.com/app: web }
                - matchLabel: { app: web }
            """)));
    }
}
