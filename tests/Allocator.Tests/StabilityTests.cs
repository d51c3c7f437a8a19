using Xunit;
using static BgpLb.Allocator.Tests.Support.Make;

namespace BgpLb.Allocator.Tests;

/// <summary>Where BgpLb differs from MetalLB on purpose: nothing moves unless it must, and every move is reported.</summary>
public sealed class StabilityTests
{
    [Fact]
    public void Restored_assignments_win_over_new_requests_for_the_same_address()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        Assert.Equal(AllocationOutcome.Restored, allocator.Restore(Svc("old"), [Ip("198.18.0.7")]).Outcome);
        var error = allocator.Ensure(Svc("new") with { LoadBalancerIP = "198.18.0.7" }).Error!;
        Assert.Equal(new ServiceKey("default", "old"), error.Holder);
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("other")).Ips());
    }

    [Fact]
    public void Restore_then_the_same_services_keeps_every_address()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Restore(Svc("a"), [Ip("198.18.0.200")]);
        allocator.Restore(Svc("b").Shared("k").Tcp(80), [Ip("198.18.0.3")]);
        allocator.Restore(Svc("c").Shared("k").Tcp(443), [Ip("198.18.0.3")]);
        Assert.All(new[] { Svc("a"), Svc("b").Shared("k").Tcp(80), Svc("c").Shared("k").Tcp(443) }.Select(allocator.Ensure),
            r => Assert.Equal(AllocationOutcome.Kept, r.Outcome));
        Assert.Equal(["198.18.0.200", "198.18.0.3", "198.18.0.3"], allocator.Assignments.Select(a => a.Addresses[0].ToString()));
    }

    [Fact]
    public void Restoring_an_address_outside_every_pool_fails_and_names_it()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        var result = allocator.Restore(Svc("a"), [Ip("203.0.113.1")]);
        Assert.Equal(AllocationOutcome.Failed, result.Outcome);
        Assert.Equal("\"203.0.113.1\" is not allowed in config: it is in no address pool", result.Error!.Message);
        Assert.Null(allocator.GetAssignment(new ServiceKey("default", "a")));
    }

    [Fact]
    public void Restoring_into_a_pool_that_does_not_select_the_service_fails()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24") with { ServiceAllocation = new ServiceAllocation { Namespaces = ["ops"] } });
        Assert.Equal(AllocationErrorKind.PoolNotEligible, allocator.Restore(Svc("a"), [Ip("198.18.0.1")]).Error!.Kind);
    }

    [Fact]
    public void A_restored_address_that_no_longer_matches_the_request_is_moved_and_reported()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Restore(Svc("a"), [Ip("198.18.0.1")]);
        var result = allocator.Ensure(Svc("a") with { LoadBalancerIP = "198.18.0.2" });
        Assert.Equal(AllocationOutcome.Moved, result.Outcome);
        Assert.Equal("198.18.0.2", result.Ips());
        Assert.Equal(AllocationErrorKind.RequestChanged, result.Invalidation!.Kind);
        Assert.Equal("the service now requests 198.18.0.2 instead of 198.18.0.1", result.Invalidation.Message);
    }

    [Fact]
    public void An_unrelated_pool_edit_changes_nothing()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Ensure(Svc("a"));
        allocator.Ensure(Svc("b"));
        var update = allocator.SetPools([Pool("p", "198.18.0.0/24"), Pool("q", "198.18.9.0/24") with { ServiceAllocation = new ServiceAllocation { Priority = 1 } }]);
        Assert.True(update.Accepted);
        Assert.Empty(update.Changes);
        Assert.Equal(AllocationOutcome.Kept, allocator.Ensure(Svc("a")).Outcome);
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("b")).Ips());
    }

    [Fact]
    public void A_shrunk_pool_moves_the_services_outside_it_and_says_why()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/29"));
        for (var i = 0; i < 6; i++)
        {
            allocator.Ensure(Svc("s" + i));
        }
        var update = allocator.SetPools([Pool("p", "198.18.0.0/30", "198.18.1.0/30")]);
        Assert.Equal(["default/s4", "default/s5"], update.Changes.Select(c => c.Service.ToString()));
        var moved = update.Changes[0];
        Assert.Equal(AllocationOutcome.Moved, moved.Outcome);
        Assert.Equal("198.18.1.0", moved.Ips());
        Assert.Equal("\"198.18.0.4\" is not allowed in config: it is in no address pool", moved.Invalidation!.Message);
        Assert.Equal("198.18.0.0", allocator.GetAssignment(new ServiceKey("default", "s0"))!.Value.Addresses[0].ToString());
    }

    [Fact]
    public void A_shrunk_pool_without_room_leaves_the_service_without_an_address_and_says_what_it_lost()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/30"));
        allocator.Ensure(Svc("a"));
        allocator.Ensure(Svc("b"));
        var update = allocator.SetPools([Pool("p", "198.18.0.0/32")]);
        var lost = Assert.Single(update.Changes);
        Assert.Equal(AllocationOutcome.Failed, lost.Outcome);
        Assert.Equal("198.18.0.1", lost.Previous!.Value.Addresses[0].ToString());
        Assert.Equal(AllocationErrorKind.AddressNotInAnyPool, lost.Invalidation!.Kind);
        Assert.Equal(AllocationErrorKind.PoolExhausted, lost.Error!.Kind);
    }

    [Fact]
    public void A_renamed_pool_keeps_every_address_and_reports_the_new_pool_name()
    {
        var allocator = NewAllocator(Pool("old", "198.18.0.0/24"));
        allocator.Ensure(Svc("a"));
        var change = Assert.Single(allocator.SetPools([Pool("new", "198.18.0.0/24")]).Changes);
        Assert.Equal(AllocationOutcome.Kept, change.Outcome);
        Assert.Equal(("old", "new"), (change.Previous!.Value.Pool, change.Assignment!.Value.Pool));
    }

    [Fact]
    public void Changing_the_requested_pool_moves_the_service_and_says_why()
    {
        var allocator = NewAllocator(Pool("a", "198.18.0.0/24"), Pool("b", "198.18.1.0/24"));
        allocator.Ensure(Svc("x"));
        var result = allocator.Ensure(Svc("x").InPool("b"));
        Assert.Equal(AllocationOutcome.Moved, result.Outcome);
        Assert.Equal("the service now requests pool \"b\" instead of \"a\"", result.Invalidation!.Message);
    }

    [Fact]
    public void A_namespace_that_stops_matching_its_pool_is_moved_on_the_next_ensure()
    {
        var selector = new LabelSelector { MatchLabels = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("tier", "prod") };
        var allocator = NewAllocator(
            Pool("prod", "198.18.1.0/24") with { ServiceAllocation = new ServiceAllocation { NamespaceSelectors = [selector] } },
            Pool("rest", "198.18.0.0/24"));
        var svc = Svc("shop", "web") with { NamespaceLabels = selector.MatchLabels };
        Assert.Equal("198.18.1.0", allocator.Ensure(svc).Ips());
        var result = allocator.Ensure(svc with { NamespaceLabels = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty });
        Assert.Equal(AllocationOutcome.Moved, result.Outcome);
        Assert.Equal(AllocationErrorKind.PoolNotEligible, result.Invalidation!.Kind);
        Assert.Equal("198.18.0.0", result.Ips());
    }

    [Fact]
    public void A_typo_in_an_annotation_keeps_the_working_address_and_reports_the_typo()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Ensure(Svc("a"));
        var result = allocator.Ensure(Svc("a").Ips("198.18.0.300"));
        Assert.Equal(AllocationOutcome.Kept, result.Outcome);
        Assert.Equal("198.18.0.0", result.Ips());
        Assert.Equal(AllocationErrorKind.InvalidRequest, result.Error!.Kind);
    }

    [Fact]
    public void A_sharing_change_that_now_conflicts_moves_the_service_with_the_conflict_as_reason()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Ensure(Svc("a").Shared("k").Tcp(80));
        allocator.Ensure(Svc("b").Shared("k").Tcp(443));
        var result = allocator.Ensure(Svc("b").Shared("k").Tcp(80));
        Assert.Equal(AllocationOutcome.Moved, result.Outcome);
        Assert.Equal(AllocationErrorKind.PortConflict, result.Invalidation!.Kind);
        Assert.Equal("198.18.0.1", result.Ips());
    }

    [Fact]
    public void Ensure_twice_with_the_same_service_keeps_it()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        var first = allocator.Ensure(Svc("a"));
        var second = allocator.Ensure(Svc("a"));
        Assert.Equal((AllocationOutcome.Assigned, AllocationOutcome.Kept), (first.Outcome, second.Outcome));
        Assert.Equal(first.Assignment, second.Assignment);
    }

    [Fact]
    public void Removing_the_ipv6_range_of_a_dual_stack_service_keeps_its_ipv4_address()
    {
        var allocator = NewAllocator(Pool("p", "10.0.0.0/29", "2001:db8::/126"));
        var svc = Svc("a").Dual(IpFamilyPolicy.PreferDualStack, IpFamily.IPv4, IpFamily.IPv6);
        Assert.Equal(AllocationOutcome.Restored, allocator.Restore(svc, [Ip("10.0.0.1"), Ip("2001:db8::")]).Outcome);
        var change = Assert.Single(allocator.SetPools([Pool("p", "10.0.0.0/29")]).Changes);
        Assert.Equal(AllocationOutcome.Kept, change.Outcome);
        Assert.Equal("10.0.0.1", change.Ips());
        Assert.Equal("10.0.0.1,2001:db8::", string.Join(",", change.Previous!.Value.Addresses));
        Assert.Equal(AllocationErrorKind.AddressNotInAnyPool, change.Invalidation!.Kind);
        Assert.Equal(AllocationOutcome.Kept, allocator.Ensure(svc).Outcome);
    }

    [Fact]
    public void A_dual_stack_service_turning_single_stack_keeps_the_address_of_its_family()
    {
        var allocator = NewAllocator(Pool("p", "10.0.0.0/29", "2001:db8::/126"));
        var svc = Svc("a").Dual(IpFamilyPolicy.PreferDualStack, IpFamily.IPv4, IpFamily.IPv6);
        allocator.Restore(svc, [Ip("10.0.0.1"), Ip("2001:db8::")]);
        var result = allocator.Ensure(Svc("a").Dual(IpFamilyPolicy.SingleStack, IpFamily.IPv4));
        Assert.Equal(AllocationOutcome.Kept, result.Outcome);
        Assert.Equal("10.0.0.1", result.Ips());
        Assert.Equal(AllocationErrorKind.RequestChanged, result.Invalidation!.Kind);
        Assert.Equal("10.0.0.0", allocator.Ensure(Svc("b")).Ips());
    }

    [Fact]
    public void A_require_dual_stack_service_whose_ipv6_range_changes_keeps_ipv4_and_gets_a_new_ipv6()
    {
        var allocator = NewAllocator(Pool("p", "10.0.0.0/29", "2001:db8::/126"));
        var svc = Svc("a").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4, IpFamily.IPv6);
        allocator.Restore(svc, [Ip("10.0.0.1"), Ip("2001:db8::")]);
        var change = Assert.Single(allocator.SetPools([Pool("p", "10.0.0.0/29", "2001:db8:1::/126")]).Changes);
        Assert.Equal(AllocationOutcome.Moved, change.Outcome);
        Assert.Equal("10.0.0.1,2001:db8:1::", change.Ips());
    }

    private static readonly LoadBalancerService DualRequested =
        Svc("a").Ips("198.18.0.5,2001:db8::5").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4, IpFamily.IPv6);

    [Fact]
    public void A_requested_dual_stack_service_whose_ipv6_address_leaves_the_pool_keeps_its_ipv4_address_and_says_which_family_was_lost()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"));
        Assert.Equal("198.18.0.5,2001:db8::5", allocator.Ensure(DualRequested).Ips());
        var change = Assert.Single(allocator.SetPools([Pool("p", "198.18.0.0/24", "2001:db8:1::/120")]).Changes);
        Assert.Equal(AllocationOutcome.Kept, change.Outcome);
        Assert.Equal("198.18.0.5", change.Ips());
        Assert.Equal("198.18.0.5,2001:db8::5", string.Join(",", change.Previous!.Value.Addresses));
        var lost = Assert.Single(change.Invalidations);
        Assert.Equal((Ip("2001:db8::5"), IpFamily.IPv6, AllocationErrorKind.AddressNotInAnyPool), (lost.Address, lost.Family, lost.Kind));
        // Why the IPv6 address cannot be had again, in the same words as for a new Service.
        Assert.Equal("\"2001:db8::5\" is not allowed in config: it is in no address pool", change.Error!.Message);

        // Seen again, nothing more is lost and nothing moves; the missing family is still reported.
        var again = allocator.Ensure(DualRequested);
        Assert.Equal((AllocationOutcome.Kept, "198.18.0.5"), (again.Outcome, again.Ips()));
        Assert.Empty(again.Invalidations);
        Assert.Null(again.Previous);
        Assert.Equal(AllocationErrorKind.AddressNotInAnyPool, again.Error!.Kind);

        // When the address is back in a pool, the Service gets it back beside the one it kept.
        allocator.SetPools([Pool("p", "198.18.0.0/24", "2001:db8::/120")]);
        var whole = allocator.Ensure(DualRequested);
        Assert.Equal((AllocationOutcome.Extended, "198.18.0.5,2001:db8::5"), (whole.Outcome, whole.Ips()));
        Assert.Null(whole.Error);
    }

    [Fact]
    public void Changing_only_the_requested_ipv6_address_moves_only_the_ipv6_address()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"));
        allocator.Ensure(DualRequested);
        var result = allocator.Ensure(DualRequested.Ips("198.18.0.5,2001:db8::9"));
        Assert.Equal(AllocationOutcome.Moved, result.Outcome);
        Assert.Equal("198.18.0.5,2001:db8::9", result.Ips());
        var lost = Assert.Single(result.Invalidations);
        Assert.Equal((Ip("2001:db8::5"), IpFamily.IPv6), (lost.Address, lost.Family));
        Assert.Equal("the service now requests 2001:db8::9 instead of 2001:db8::5", lost.Message);
        // The old IPv6 address is free again, the IPv4 one is not.
        Assert.Equal("2001:db8::5", allocator.Ensure(Svc("b") with { LoadBalancerIP = "2001:db8::5", IpFamilies = [IpFamily.IPv6] }).Ips());
        Assert.Equal(AllocationErrorKind.AddressInUse, allocator.Ensure(Svc("c") with { LoadBalancerIP = "198.18.0.5" }).Error!.Kind);
    }

    [Fact]
    public void A_requested_ipv6_address_held_by_another_service_keeps_the_ipv4_address_and_names_the_holder()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"));
        allocator.Ensure(Svc("holder") with { LoadBalancerIP = "2001:db8::9", IpFamilies = [IpFamily.IPv6] });
        allocator.Ensure(DualRequested);
        var result = allocator.Ensure(DualRequested.Ips("198.18.0.5,2001:db8::9"));
        Assert.Equal(AllocationOutcome.Kept, result.Outcome);
        Assert.Equal("198.18.0.5", result.Ips());
        Assert.Equal(Ip("2001:db8::5"), Assert.Single(result.Invalidations).Address);
        Assert.Equal("address 2001:db8::9 is already in use by default/holder, and it does not allow sharing", result.Error!.Message);
        Assert.Equal(IpFamily.IPv6, result.Error.Family);
    }

    [Fact]
    public void Requesting_one_family_fewer_keeps_the_other_and_names_the_dropped_address()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"));
        var both = Svc("a").Ips("198.18.0.5,2001:db8::5").Dual(IpFamilyPolicy.PreferDualStack, IpFamily.IPv4, IpFamily.IPv6);
        allocator.Ensure(both);
        var result = allocator.Ensure(both.Ips("198.18.0.5"));
        Assert.Equal((AllocationOutcome.Kept, "198.18.0.5"), (result.Outcome, result.Ips()));
        Assert.Equal("the service now requests 198.18.0.5, without 2001:db8::5", Assert.Single(result.Invalidations).Message);
        Assert.Null(result.Error);
    }

    [Fact]
    public void A_requested_dual_stack_service_losing_both_addresses_names_each_with_its_family()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"));
        allocator.Ensure(DualRequested);
        var change = Assert.Single(allocator.SetPools([Pool("p", "198.18.1.0/24", "2001:db8:1::/120")]).Changes);
        Assert.Equal(AllocationOutcome.Failed, change.Outcome);
        Assert.Equal(["198.18.0.5 IPv4", "2001:db8::5 IPv6"], change.Invalidations.Select(e => $"{e.Address} {e.Family}"));
        Assert.Equal(AllocationErrorKind.AddressNotInAnyPool, change.Error!.Kind);
    }

    [Fact]
    public void Restoring_a_dual_stack_assignment_whose_ipv6_address_left_the_pool_restores_the_ipv4_address()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        var result = allocator.Restore(DualRequested, [Ip("198.18.0.5"), Ip("2001:db8::5")]);
        Assert.Equal((AllocationOutcome.Restored, "198.18.0.5"), (result.Outcome, result.Ips()));
        Assert.Equal((Ip("2001:db8::5"), AllocationErrorKind.AddressNotInAnyPool), (Assert.Single(result.Invalidations).Address, result.Invalidation!.Kind));
        Assert.Equal(AllocationOutcome.Kept, allocator.Ensure(DualRequested).Outcome);
    }

    [Fact]
    public void A_require_dual_stack_service_whose_pool_lost_its_ipv6_range_keeps_ipv4_rather_than_moving_to_another_pool()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"), Pool("q", "198.18.1.0/24", "2001:db8:1::/120"));
        var svc = Svc("a").InPool("p").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4, IpFamily.IPv6);
        allocator.Ensure(svc);
        var change = Assert.Single(allocator.SetPools([Pool("p", "198.18.0.0/24"), Pool("q", "198.18.1.0/24", "2001:db8:1::/120")]).Changes);
        Assert.Equal((AllocationOutcome.Kept, "198.18.0.0"), (change.Outcome, change.Ips()));
        Assert.Equal(Ip("2001:db8::"), change.Invalidation!.Address);
        Assert.Equal("pool \"p\" has no IPv6 addresses", change.Error!.Message);
    }

    [Fact]
    public void A_port_change_that_conflicts_on_the_shared_ipv4_address_moves_only_the_ipv4_address()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24", "2001:db8::/120"));
        allocator.Ensure(Svc("b").Shared("k").Tcp(443));
        var svc = Svc("a").Shared("k").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4, IpFamily.IPv6);
        Assert.Equal("198.18.0.0,2001:db8::", allocator.Ensure(svc.Tcp(80)).Ips());
        var result = allocator.Ensure(svc.Tcp(443));
        Assert.Equal(AllocationOutcome.Moved, result.Outcome);
        Assert.Equal("198.18.0.1,2001:db8::", result.Ips());
        var lost = Assert.Single(result.Invalidations);
        Assert.Equal((Ip("198.18.0.0"), AllocationErrorKind.PortConflict), (lost.Address, lost.Kind));
    }
}
