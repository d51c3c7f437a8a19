using System.Collections.Immutable;
using Xunit;
using static BgpLb.Allocator.Tests.Support.Make;

namespace BgpLb.Allocator.Tests;

/// <summary>MetalLB's IPAddressPool rules: addresses, autoAssign, avoidBuggyIPs, serviceAllocation.</summary>
public sealed class PoolRuleTests
{
    [Fact]
    public void Services_get_the_lowest_free_addresses_in_order_and_a_freed_one_is_reused_first()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.10-198.18.0.20"));
        Assert.Equal("198.18.0.10", allocator.Ensure(Svc("a")).Ips());
        Assert.Equal("198.18.0.11", allocator.Ensure(Svc("b")).Ips());
        Assert.Equal("198.18.0.12", allocator.Ensure(Svc("c")).Ips());
        allocator.Release(new ServiceKey("default", "a"));
        Assert.Equal("198.18.0.10", allocator.Ensure(Svc("d")).Ips());
        Assert.Equal("198.18.0.13", allocator.Ensure(Svc("e")).Ips());
    }

    [Fact]
    public void Ranges_of_a_pool_are_used_lowest_address_first_whatever_their_order_in_the_pool()
    {
        var allocator = NewAllocator(Pool("p", "198.18.1.0/31", "198.18.0.0/32"));
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("a")).Ips());
        Assert.Equal("198.18.1.0", allocator.Ensure(Svc("b")).Ips());
    }

    [Fact]
    public void Avoid_buggy_ips_never_hands_out_dot_0_or_dot_255()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.254-198.18.1.1") with { AvoidBuggyIPs = true });
        Assert.Equal("198.18.0.254", allocator.Ensure(Svc("a")).Ips());
        Assert.Equal("198.18.1.1", allocator.Ensure(Svc("b")).Ips());
        Assert.Equal(AllocationErrorKind.PoolExhausted, allocator.Ensure(Svc("c")).Error!.Kind);
    }

    [Fact]
    public void Avoid_buggy_ips_rejects_a_requested_dot_0_naming_avoid_buggy_ips_and_the_pool()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24") with { AvoidBuggyIPs = true });
        var result = allocator.Ensure(Svc("a") with { LoadBalancerIP = "198.18.0.0" });
        Assert.Equal(AllocationErrorKind.AddressAvoided, result.Error!.Kind);
        Assert.Equal("p", result.Error.Pool);
        Assert.Equal("\"198.18.0.0\" is not allowed in config: pool \"p\" has avoidBuggyIPs, which excludes addresses ending in .0 and .255", result.Error.Message);
    }

    [Fact]
    public void Turning_on_avoid_buggy_ips_moves_a_dot_255_holder_and_says_avoid_buggy_ips_excluded_it()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Restore(Svc("a"), [Ip("198.18.0.255")]);
        var change = Assert.Single(allocator.SetPools([Pool("p", "198.18.0.0/24") with { AvoidBuggyIPs = true }]).Changes);
        Assert.Equal(AllocationOutcome.Moved, change.Outcome);
        Assert.Equal("198.18.0.1", change.Ips());
        Assert.Equal(AllocationErrorKind.AddressAvoided, change.Invalidation!.Kind);
    }

    [Fact]
    public void An_IPv6_slash_64_hands_out_addresses_without_being_materialised()
    {
        var allocator = NewAllocator(Pool("v6", "2001:db8:ffff::/64"));
        var v6 = new[] { IpFamily.IPv6 };
        for (var i = 0; i < 1000; i++)
        {
            allocator.Ensure(Svc("s" + i) with { IpFamilies = [.. v6] });
        }
        Assert.Equal("2001:db8:ffff::3e7", allocator.GetAssignment(new ServiceKey("default", "s999"))!.Value.Addresses[0].ToString());
        var status = allocator.StatusOf("v6")!;
        Assert.Equal((UInt128)1000, status.IPv6InUse);
        Assert.Equal((UInt128.One << 64) - 1000, status.IPv6Available);
    }

    [Fact]
    public void A_pool_without_auto_assign_serves_only_services_that_ask_for_it()
    {
        var allocator = NewAllocator(Pool("manual", "198.18.0.0/30") with { AutoAssign = false }, Pool("auto", "198.18.1.0/30"));
        Assert.Equal("198.18.1.0", allocator.Ensure(Svc("a")).Ips());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("b").InPool("manual")).Ips());
        Assert.Equal("198.18.0.2", allocator.Ensure(Svc("c") with { LoadBalancerIP = "198.18.0.2" }).Ips());
    }

    [Fact]
    public void No_auto_assign_pool_at_all_is_reported_as_no_eligible_pool()
    {
        var allocator = NewAllocator(Pool("manual", "198.18.0.0/30") with { AutoAssign = false });
        var error = allocator.Ensure(Svc("a")).Error!;
        Assert.Equal(AllocationErrorKind.NoEligiblePool, error.Kind);
        Assert.Equal("no available IPs: no address pool is eligible (no pool has autoAssign)", error.Message);
    }

    [Fact]
    public void Pools_with_service_allocation_go_first_by_priority_then_pools_without()
    {
        var allocator = NewAllocator(
            Pool("plain", "198.18.0.0/32"),
            Pool("second", "198.18.2.0/32") with { ServiceAllocation = new ServiceAllocation { Priority = 20 } },
            Pool("unset", "198.18.3.0/32") with { ServiceAllocation = new ServiceAllocation() },
            Pool("first", "198.18.1.0/32") with { ServiceAllocation = new ServiceAllocation { Priority = 10 } });
        Assert.Equal("198.18.1.0", allocator.Ensure(Svc("a")).Ips());
        Assert.Equal("198.18.2.0", allocator.Ensure(Svc("b")).Ips());
        Assert.Equal("198.18.3.0", allocator.Ensure(Svc("c")).Ips());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("d")).Ips());
    }

    [Fact]
    public void Equal_priorities_and_pools_without_service_allocation_are_tried_in_name_order()
    {
        var allocator = NewAllocator(
            Pool("zeta", "198.18.0.0/32"),
            Pool("alpha", "198.18.1.0/32"),
            Pool("b", "198.18.2.0/32") with { ServiceAllocation = new ServiceAllocation { Priority = 5 } },
            Pool("a", "198.18.3.0/32") with { ServiceAllocation = new ServiceAllocation { Priority = 5 } });
        string[] names = ["a", "b", "c", "d"];
        string[] expected = ["198.18.3.0", "198.18.2.0", "198.18.1.0", "198.18.0.0"];
        Assert.Equal(expected, names.Select(n => allocator.Ensure(Svc(n)).Ips()));
    }

    [Fact]
    public void A_pool_for_other_namespaces_is_skipped_and_named_when_requested()
    {
        var tenant = Pool("tenant", "198.18.1.0/30") with { ServiceAllocation = new ServiceAllocation { Priority = 1, Namespaces = ["team-a"] } };
        var allocator = NewAllocator(tenant, Pool("shared", "198.18.0.0/30"));
        Assert.Equal("198.18.1.0", allocator.Ensure(Svc("team-a", "web")).Ips());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("team-b", "web")).Ips());
        var error = allocator.Ensure(Svc("team-b", "db").InPool("tenant")).Error!;
        Assert.Equal(AllocationErrorKind.PoolNotEligible, error.Kind);
        Assert.Equal(
            "pool \"tenant\" is not eligible for this service: namespace \"team-b\" is neither listed in its serviceAllocation.namespaces nor matched by its namespaceSelectors",
            error.Message);
    }

    [Fact]
    public void Namespace_selectors_match_the_labels_of_the_namespace()
    {
        var selector = new LabelSelector { MatchLabels = ImmutableDictionary<string, string>.Empty.Add("tier", "prod") };
        var prod = Pool("prod", "198.18.1.0/30") with { ServiceAllocation = new ServiceAllocation { NamespaceSelectors = [selector] } };
        var allocator = NewAllocator(prod, Pool("rest", "198.18.0.0/30"));
        var inProd = Svc("shop", "web") with { NamespaceLabels = ImmutableDictionary<string, string>.Empty.Add("tier", "prod") };
        Assert.Equal("198.18.1.0", allocator.Ensure(inProd).Ips());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("dev", "web")).Ips());
    }

    [Fact]
    public void Service_selectors_match_the_labels_of_the_service_with_match_expressions()
    {
        var selector = new LabelSelector { MatchExpressions = [new LabelSelectorRequirement("app", SelectorOperator.In, ["db", "cache"])] };
        var pool = Pool("data", "198.18.1.0/30") with { ServiceAllocation = new ServiceAllocation { ServiceSelectors = [selector] } };
        var allocator = NewAllocator(pool, Pool("rest", "198.18.0.0/30"));
        Assert.Equal("198.18.1.0", allocator.Ensure(Svc("a").Labels(("app", "db"))).Ips());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("b").Labels(("app", "web"))).Ips());
        var error = allocator.Ensure(Svc("c").Labels(("app", "web")).InPool("data")).Error!;
        Assert.Equal("pool \"data\" is not eligible for this service: the labels of default/c match none of its serviceSelectors", error.Message);
    }

    [Fact]
    public void A_pool_with_namespaces_and_service_selectors_admits_only_services_matching_both()
    {
        var selector = new LabelSelector { MatchLabels = ImmutableDictionary<string, string>.Empty.Add("app", "db") };
        var pool = Pool("data", "198.18.1.0/30") with { ServiceAllocation = new ServiceAllocation { Namespaces = ["team-a"], ServiceSelectors = [selector] } };
        var allocator = NewAllocator(pool, Pool("rest", "198.18.0.0/30"));
        Assert.Equal("198.18.1.0", allocator.Ensure(Svc("team-a", "both").Labels(("app", "db"))).Ips());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("team-b", "labels-only").Labels(("app", "db"))).Ips());
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("team-a", "namespace-only").Labels(("app", "web"))).Ips());
        Assert.Equal(AllocationErrorKind.PoolNotEligible, allocator.Ensure(Svc("team-b", "named").Labels(("app", "db")).InPool("data")).Error!.Kind);
    }

    [Theory]
    [InlineData(SelectorOperator.In, "x", true)]
    [InlineData(SelectorOperator.In, null, false)]
    [InlineData(SelectorOperator.NotIn, "x", false)]
    [InlineData(SelectorOperator.NotIn, null, true)]
    [InlineData(SelectorOperator.Exists, "y", true)]
    [InlineData(SelectorOperator.DoesNotExist, null, true)]
    [InlineData(SelectorOperator.DoesNotExist, "y", false)]
    public void Selector_operators_follow_Kubernetes(SelectorOperator op, string? value, bool matches)
    {
        var labels = value is null ? ImmutableDictionary<string, string>.Empty : ImmutableDictionary<string, string>.Empty.Add("k", value);
        Assert.Equal(matches, new LabelSelectorRequirement("k", op, ["x"]).Matches(labels));
    }

    [Fact]
    public void An_exhausted_pool_is_named_with_its_family_and_size()
    {
        var allocator = NewAllocator(Pool("small", "198.18.0.0/31"));
        allocator.Ensure(Svc("a"));
        allocator.Ensure(Svc("b"));
        var error = allocator.Ensure(Svc("c")).Error!;
        Assert.Equal(AllocationErrorKind.PoolExhausted, error.Kind);
        Assert.Equal(("small", IpFamily.IPv4, (UInt128)2), (error.Pool, error.Family!.Value, error.PoolSize!.Value));
        Assert.Equal("no available IPs in pool \"small\" for IPv4: all 2 addresses are in use", error.Message);
    }

    [Fact]
    public void When_several_pools_are_tried_each_one_says_why_it_could_not_serve()
    {
        var allocator = NewAllocator(Pool("a", "198.18.0.0/32"), Pool("b", "2001:db8::/127"));
        allocator.Ensure(Svc("x"));
        var error = allocator.Ensure(Svc("y")).Error!;
        Assert.Equal(AllocationErrorKind.NoAddressAvailable, error.Kind);
        Assert.Equal(
            "no available IPs: no available IPs in pool \"a\" for IPv4: all 1 addresses are in use; pool \"b\" has no IPv4 addresses",
            error.Message);
    }

    [Fact]
    public void An_unknown_requested_pool_is_named()
    {
        var error = NewAllocator(Pool("a", "198.18.0.0/30")).Ensure(Svc("x").InPool("nope")).Error!;
        Assert.Equal(AllocationErrorKind.UnknownPool, error.Kind);
        Assert.Equal("unknown pool \"nope\"", error.Message);
    }

    [Fact]
    public void Overlapping_pools_are_rejected_and_the_previous_pools_stay()
    {
        var allocator = NewAllocator(Pool("a", "198.18.0.0/24"));
        var update = allocator.SetPools([Pool("a", "198.18.0.0/24"), Pool("b", "198.18.0.128-198.18.1.10")]);
        Assert.False(update.Accepted);
        Assert.Equal(AllocationErrorKind.InvalidPools, update.Error!.Kind);
        Assert.Equal("invalid address pools: 198.18.0.128-198.18.1.10 of pool \"b\" overlaps 198.18.0.0/24 of pool \"a\"", update.Error.Message);
        Assert.Equal(["a"], allocator.Pools.Select(p => p.Name));
    }

    [Fact]
    public void A_pool_defined_twice_is_rejected()
    {
        var update = new IpAllocator().SetPools([Pool("a", "198.18.0.0/24"), Pool("a", "198.18.1.0/24")]);
        Assert.Equal("invalid address pools: pool \"a\" is defined twice", update.Error!.Message);
    }

    [Fact]
    public void Pool_status_counts_in_use_and_available_per_family_and_a_shared_address_once()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120") with { AvoidBuggyIPs = true });
        allocator.Ensure(Svc("a").Shared("k").Tcp(80));
        allocator.Ensure(Svc("b").Shared("k").Tcp(443));
        allocator.Ensure(Svc("c") with { IpFamilies = [IpFamily.IPv6] });
        var status = allocator.StatusOf("p")!;
        Assert.Equal(new PoolStatus("p", 1, 253, 1, 255), status);
        Assert.Null(allocator.StatusOf("nope"));
    }
}
