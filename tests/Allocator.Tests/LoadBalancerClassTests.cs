using Xunit;
using static BgpLb.Allocator.Tests.Support.Make;

namespace BgpLb.Allocator.Tests;

/// <summary>spec.loadBalancerClass: ours, or none when we are the default implementation.</summary>
public sealed class LoadBalancerClassTests
{
    [Fact]
    public void Services_of_another_class_are_not_ours()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        Assert.Equal(AllocationOutcome.NotOurs, allocator.Ensure(Svc("a") with { LoadBalancerClass = "example.com/other" }).Outcome);
        Assert.Equal(0, allocator.Count);
    }

    [Fact]
    public void Services_of_our_class_are_served_even_when_we_are_not_the_default()
    {
        var allocator = NewAllocator(new AllocatorOptions { IsDefaultClass = false }, Pool("p", "198.18.0.0/24"));
        Assert.Equal(AllocationOutcome.NotOurs, allocator.Ensure(Svc("a")).Outcome);
        Assert.Equal(AllocationOutcome.Assigned, allocator.Ensure(Svc("b") with { LoadBalancerClass = AllocatorOptions.DefaultLoadBalancerClass }).Outcome);
    }

    [Fact]
    public void A_service_that_moves_to_another_class_releases_its_address_and_says_so()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Ensure(Svc("a"));
        var result = allocator.Ensure(Svc("a") with { LoadBalancerClass = "example.com/other" });
        Assert.Equal(AllocationOutcome.Released, result.Outcome);
        Assert.Equal("198.18.0.0", result.Previous!.Value.Addresses[0].ToString());
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("b")).Ips());
    }
}
