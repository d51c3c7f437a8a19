using Xunit;
using static BgpLb.Allocator.Tests.Support.Make;

namespace BgpLb.Allocator.Tests;

/// <summary>MetalLB's "requesting specific IPs": spec.loadBalancerIP, the loadBalancerIPs and address-pool annotations, IP families.</summary>
public sealed class RequestRuleTests
{
    private static IpAllocator TwoPools() => NewAllocator(
        Pool("a", "198.18.0.0/24", "2001:db8:ffff::/64"),
        Pool("b", "198.18.1.0/24", "2001:db8:fffe::/64"));

    [Fact]
    public void Spec_load_balancer_ip_is_given_when_free()
    {
        Assert.Equal("198.18.0.42", TwoPools().Ensure(Svc("x") with { LoadBalancerIP = "198.18.0.42" }).Ips());
    }

    [Theory]
    [InlineData("bgplb.io/loadBalancerIPs")]
    [InlineData("metallb.io/loadBalancerIPs")]
    [InlineData("metallb.universe.tf/loadBalancerIPs")]
    public void The_load_balancer_ips_annotation_is_read_under_our_and_metallb_prefixes(string key)
    {
        Assert.Equal("198.18.0.7", TwoPools().Ensure(Svc("x").With(key, "198.18.0.7")).Ips());
    }

    [Theory]
    [InlineData("metallb.io/address-pool")]
    [InlineData("metallb.universe.tf/address-pool")]
    public void The_metallb_address_pool_annotation_alone_picks_the_pool(string key)
    {
        Assert.Equal("198.18.1.0", TwoPools().Ensure(Svc("x").With(key, "b")).Ips());
    }

    [Fact]
    public void Our_prefix_wins_over_metallb_when_both_are_set()
    {
        var service = Svc("x").With("metallb.io/address-pool", "a").With("bgplb.io/address-pool", "b");
        Assert.Equal("198.18.1.0", TwoPools().Ensure(service).Ips());
    }

    [Fact]
    public void The_annotation_takes_one_address_per_family_for_dual_stack()
    {
        var service = Svc("x").Ips("198.18.1.9, 2001:db8:fffe::9").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4, IpFamily.IPv6);
        Assert.Equal("198.18.1.9,2001:db8:fffe::9", TwoPools().Ensure(service).Ips());
    }

    [Fact]
    public void Spec_and_annotation_together_are_an_invalid_request()
    {
        var error = TwoPools().Ensure(Svc("x").Ips("198.18.0.1") with { LoadBalancerIP = "198.18.0.1" }).Error!;
        Assert.Equal(AllocationErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("invalid bgplb.io/loadBalancerIPs: service can not have both bgplb.io/loadBalancerIPs and spec.loadBalancerIP", error.Message);
    }

    [Theory]
    [InlineData("banana", "invalid bgplb.io/loadBalancerIPs: \"banana\" is not an IP address")]
    [InlineData("198.18.0.1,198.18.0.2", "invalid bgplb.io/loadBalancerIPs: \"198.18.0.1,198.18.0.2\": at most one address per family")]
    public void Unreadable_annotations_say_what_is_wrong(string value, string message)
    {
        Assert.Equal(message, TwoPools().Ensure(Svc("x").Ips(value)).Error!.Message);
    }

    [Fact]
    public void A_requested_address_outside_every_pool_is_named()
    {
        var error = TwoPools().Ensure(Svc("x") with { LoadBalancerIP = "10.0.0.1" }).Error!;
        Assert.Equal(AllocationErrorKind.AddressNotInAnyPool, error.Kind);
        Assert.Equal(IpAddress.Parse("10.0.0.1"), error.Address);
        Assert.Equal("\"10.0.0.1\" is not allowed in config: it is in no address pool", error.Message);
    }

    [Fact]
    public void A_requested_address_held_by_another_service_names_the_holder()
    {
        var allocator = TwoPools();
        allocator.Ensure(Svc("web", "front") with { LoadBalancerIP = "198.18.0.5" });
        var error = allocator.Ensure(Svc("db", "back") with { LoadBalancerIP = "198.18.0.5" }).Error!;
        Assert.Equal(AllocationErrorKind.AddressInUse, error.Kind);
        Assert.Equal(new ServiceKey("web", "front"), error.Holder);
        Assert.Equal("address 198.18.0.5 is already in use by web/front, and it does not allow sharing", error.Message);
    }

    [Fact]
    public void A_requested_address_in_another_pool_than_the_requested_pool_is_refused()
    {
        var error = TwoPools().Ensure(Svc("x").InPool("b") with { LoadBalancerIP = "198.18.0.5" }).Error!;
        Assert.Equal(AllocationErrorKind.RequestedPoolMismatch, error.Kind);
        Assert.Equal("requested loadBalancer IP 198.18.0.5 is in pool \"a\", not in the requested address pool \"b\"", error.Message);
    }

    [Fact]
    public void A_requested_address_of_the_wrong_family_is_refused()
    {
        var error = TwoPools().Ensure(Svc("x") with { LoadBalancerIP = "2001:db8:ffff::1" }).Error!;
        Assert.Equal(AllocationErrorKind.FamilyMismatch, error.Kind);
        Assert.Equal("requested loadBalancer IP(s) \"2001:db8:ffff::1\" do not match the ipFamilies and ipFamilyPolicy of the service", error.Message);
    }

    [Fact]
    public void Single_stack_IPv6_gets_an_IPv6_address()
    {
        Assert.Equal("2001:db8:ffff::", TwoPools().Ensure(Svc("x") with { IpFamilies = [IpFamily.IPv6] }).Ips());
    }

    [Fact]
    public void Require_dual_stack_gets_both_families_from_one_pool()
    {
        var allocator = NewAllocator(Pool("v4only", "198.18.0.0/30"), Pool("z-dual", "198.18.1.0/30", "2001:db8::/126"));
        var result = allocator.Ensure(Svc("x").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv6, IpFamily.IPv4));
        Assert.Equal("198.18.1.0,2001:db8::", result.Ips());
        Assert.Equal("z-dual", result.Assignment!.Value.Pool);
    }

    [Fact]
    public void Require_dual_stack_without_a_dual_pool_says_which_family_is_missing()
    {
        var allocator = NewAllocator(Pool("v4only", "198.18.0.0/30"));
        var error = allocator.Ensure(Svc("x").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4, IpFamily.IPv6)).Error!;
        Assert.Equal(AllocationErrorKind.FamilyNotAvailable, error.Kind);
        Assert.Equal("pool \"v4only\" has no IPv6 addresses", error.Message);
    }

    [Fact]
    public void Require_dual_stack_with_one_family_is_an_invalid_request()
    {
        var error = TwoPools().Ensure(Svc("x").Dual(IpFamilyPolicy.RequireDualStack, IpFamily.IPv4)).Error!;
        Assert.Equal("invalid spec.ipFamilies: \"IPv4\": RequireDualStack needs both families", error.Message);
    }

    [Fact]
    public void Prefer_dual_stack_takes_both_when_a_pool_has_both()
    {
        var result = TwoPools().Ensure(Svc("x").Dual(IpFamilyPolicy.PreferDualStack, IpFamily.IPv4, IpFamily.IPv6));
        Assert.Equal("198.18.0.0,2001:db8:ffff::", result.Ips());
    }

    [Fact]
    public void Prefer_dual_stack_settles_for_the_primary_family_and_gains_the_other_when_its_pool_does()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/30"));
        var service = Svc("x").Dual(IpFamilyPolicy.PreferDualStack, IpFamily.IPv4, IpFamily.IPv6);
        Assert.Equal("198.18.0.0", allocator.Ensure(service).Ips());
        allocator.SetPools([Pool("p", "198.18.0.0/30", "2001:db8::/126")]);
        var result = allocator.Ensure(service);
        Assert.Equal(AllocationOutcome.Extended, result.Outcome);
        Assert.Equal("198.18.0.0,2001:db8::", result.Ips());
        Assert.Equal("198.18.0.0", string.Join(",", result.Previous!.Value.Addresses));
    }

    [Fact]
    public void Prefer_dual_stack_falls_back_to_the_secondary_family_when_no_pool_has_the_primary()
    {
        var allocator = NewAllocator(Pool("p", "2001:db8::/126"));
        Assert.Equal("2001:db8::", allocator.Ensure(Svc("x").Dual(IpFamilyPolicy.PreferDualStack, IpFamily.IPv4, IpFamily.IPv6)).Ips());
    }
}
