using Xunit;
using static BgpLb.Allocator.Tests.Support.Make;

namespace BgpLb.Allocator.Tests;

/// <summary>MetalLB's "IP address sharing": same allow-shared-ip key, no port clash, same pods under Local.</summary>
public sealed class SharingRuleTests
{
    private static IpAllocator Pool24(AllocatorOptions? options = null) => NewAllocator(options ?? new AllocatorOptions(), Pool("p", "198.18.0.0/24"));

    [Fact]
    public void Same_key_and_different_ports_share_the_requested_address()
    {
        var allocator = Pool24();
        Assert.Equal("198.18.0.9", allocator.Ensure(Svc("dns-tcp").Shared("dns").Ports((53, TransportProtocol.TCP)) with { LoadBalancerIP = "198.18.0.9" }).Ips());
        Assert.Equal("198.18.0.9", allocator.Ensure(Svc("dns-udp").Shared("dns").Ports((53, TransportProtocol.UDP)) with { LoadBalancerIP = "198.18.0.9" }).Ips());
    }

    [Theory]
    [InlineData("bgplb.io/allow-shared-ip")]
    [InlineData("metallb.io/allow-shared-ip")]
    [InlineData("metallb.universe.tf/allow-shared-ip")]
    public void The_sharing_annotation_is_honoured_under_our_and_metallb_prefixes(string key)
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").With(key, "k").Tcp(80));
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("b").With(key, "k").Tcp(443)).Ips());
    }

    [Fact]
    public void Without_a_requested_address_a_service_joins_the_lowest_address_its_key_may_share()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("other"));
        allocator.Ensure(Svc("web").Shared("k").Tcp(80));
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("web-tls").Shared("k").Tcp(443)).Ips());
        Assert.Equal("198.18.0.2", allocator.Ensure(Svc("web-2").Shared("k").Tcp(80)).Ips());
    }

    [Fact]
    public void A_port_already_used_on_the_address_names_port_protocol_and_holder()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("k").Tcp(80) with { LoadBalancerIP = "198.18.0.1" });
        var error = allocator.Ensure(Svc("b").Shared("k").Tcp(8080, 80) with { LoadBalancerIP = "198.18.0.1" }).Error!;
        Assert.Equal(AllocationErrorKind.PortConflict, error.Kind);
        Assert.Equal(new ServicePort(80, TransportProtocol.TCP), error.Port);
        Assert.Equal("port TCP/80 is already in use on 198.18.0.1 by default/a", error.Message);
    }

    [Fact]
    public void A_different_key_names_both_keys_and_the_holder()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("blue") with { LoadBalancerIP = "198.18.0.1" });
        var error = allocator.Ensure(Svc("b").Shared("green") with { LoadBalancerIP = "198.18.0.1" }).Error!;
        Assert.Equal(AllocationErrorKind.SharingKeyMismatch, error.Kind);
        Assert.Equal("sharing key \"green\" does not match the sharing key \"blue\" of default/a on 198.18.0.1", error.Message);
    }

    [Fact]
    public void A_service_without_a_key_cannot_join_a_shared_address()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("k") with { LoadBalancerIP = "198.18.0.1" });
        var error = allocator.Ensure(Svc("b") with { LoadBalancerIP = "198.18.0.1" }).Error!;
        Assert.Equal("address 198.18.0.1 is already in use by default/a, and this service does not allow sharing", error.Message);
    }

    [Fact]
    public void Local_traffic_policy_shares_only_with_the_same_pod_selector()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("k").Tcp(80).Local(("app", "web")) with { LoadBalancerIP = "198.18.0.1" });
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("b").Shared("k").Tcp(443).Local(("app", "web")) with { LoadBalancerIP = "198.18.0.1" }).Ips());
        var error = allocator.Ensure(Svc("c").Shared("k").Tcp(8443).Local(("app", "api")) with { LoadBalancerIP = "198.18.0.1" }).Error!;
        Assert.Equal(AllocationErrorKind.SharingBackendMismatch, error.Kind);
        var cluster = allocator.Ensure(Svc("d").Shared("k").Tcp(9000) with { LoadBalancerIP = "198.18.0.1" }).Error!;
        Assert.Equal(AllocationErrorKind.SharingBackendMismatch, cluster.Kind);
        Assert.Equal("address 198.18.0.1 is shared with default/a, which selects different pods while one of them has externalTrafficPolicy Local", cluster.Message);
    }

    [Fact]
    public void Sharing_across_namespaces_needs_the_option()
    {
        var strict = Pool24();
        strict.Ensure(Svc("a", "x").Shared("k").Tcp(80) with { LoadBalancerIP = "198.18.0.0" });
        var error = strict.Ensure(Svc("b", "y").Shared("k").Tcp(443) with { LoadBalancerIP = "198.18.0.0" }).Error!;
        Assert.Equal(AllocationErrorKind.SharingAcrossNamespaces, error.Kind);
        Assert.Equal("address 198.18.0.0 is used by a/x in another namespace, and sharing across namespaces is not allowed", error.Message);
        // Nor does auto-allocation put them together.
        Assert.Equal("198.18.0.1", strict.Ensure(Svc("b", "z").Shared("k").Tcp(443)).Ips());

        var open = Pool24(new AllocatorOptions { AllowSharingAcrossNamespaces = true });
        open.Ensure(Svc("a", "x").Shared("k").Tcp(80) with { LoadBalancerIP = "198.18.0.0" });
        Assert.Equal("198.18.0.0", open.Ensure(Svc("b", "y").Shared("k").Tcp(443)).Ips());
    }

    [Fact]
    public void A_shared_address_is_free_only_when_its_last_service_leaves()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("k").Tcp(80));
        allocator.Ensure(Svc("b").Shared("k").Tcp(443));
        allocator.Release(new ServiceKey("default", "a"));
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("c")).Ips());
        allocator.Release(new ServiceKey("default", "b"));
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("d")).Ips());
    }

    [Fact]
    public void A_lone_holder_may_change_its_key_and_ports_in_place()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("old").Tcp(80));
        var result = allocator.Ensure(Svc("a").Shared("new").Tcp(81));
        Assert.Equal(AllocationOutcome.Kept, result.Outcome);
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("b").Shared("new").Tcp(80)).Ips());
    }

    [Fact]
    public void Twenty_thousand_services_under_one_key_on_the_same_port_each_get_their_own_address()
    {
        var allocator = NewAllocator(Pool("p", "10.0.0.0/8"));
        for (var i = 0; i < 20_000; i++)
        {
            var result = allocator.Ensure(Svc("s" + i).Shared("web").Tcp(80));
            Assert.Equal(AllocationOutcome.Assigned, result.Outcome);
            Assert.Equal(new IpAddress(IpFamily.IPv4, Ip("10.0.0.0").Value + (uint)i), result.Assignment!.Value.Addresses[0]);
        }
        Assert.Equal("10.0.0.0", allocator.Ensure(Svc("tls").Shared("web").Tcp(443)).Ips());
        Assert.Equal("10.0.78.32", allocator.Ensure(Svc("last").Shared("web").Tcp(80)).Ips());
    }

    [Fact]
    public void A_service_that_frees_a_port_on_a_shared_address_lets_another_join_it()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.0/24"));
        allocator.Ensure(Svc("a").Shared("k").Tcp(80));
        allocator.Ensure(Svc("b").Shared("k").Tcp(443));
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("c").Shared("k").Tcp(80)).Ips());
        Assert.Equal(AllocationOutcome.Kept, allocator.Ensure(Svc("a").Shared("k").Tcp(8080)).Outcome);
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("d").Shared("k").Tcp(80)).Ips());
    }

    [Fact]
    public void Services_on_distinct_ports_all_join_one_address_and_a_taken_port_names_its_holder()
    {
        var allocator = Pool24();
        for (var port = 1; port <= 2_000; port++)
        {
            Assert.Equal("198.18.0.0", allocator.Ensure(Svc("s" + port).Shared("k").Tcp(port)).Ips());
        }
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("again").Shared("k").Tcp(700)).Ips());
        var error = allocator.Ensure(Svc("asks").Shared("k").Tcp(2_001, 1_234) with { LoadBalancerIP = "198.18.0.0" }).Error!;
        Assert.Equal("port TCP/1234 is already in use on 198.18.0.0 by default/s1234", error.Message);
        // The holder named for a key mismatch is the first holder in Service order, whoever came first.
        var mismatch = allocator.Ensure(Svc("other").Shared("x") with { LoadBalancerIP = "198.18.0.0" }).Error!;
        Assert.Equal(new ServiceKey("default", "s1"), mismatch.Holder);
    }

    [Fact]
    public void A_holder_leaving_one_address_of_many_holders_frees_exactly_its_ports()
    {
        var allocator = Pool24();
        allocator.Ensure(Svc("a").Shared("k").Tcp(80, 81));
        allocator.Ensure(Svc("b").Shared("k").Tcp(443));
        allocator.Ensure(Svc("c").Shared("k").Ports((53, TransportProtocol.UDP)));
        allocator.Release(new ServiceKey("default", "a"));
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("d").Shared("k").Tcp(81)).Ips());
        Assert.Equal("198.18.0.1", allocator.Ensure(Svc("e").Shared("k").Tcp(443)).Ips());
        // The address stays taken while anyone holds it, and is free again after the last one leaves.
        foreach (var name in new[] { "b", "c", "d" })
        {
            Assert.Equal("198.18.0.2", allocator.Ensure(Svc("plain-" + name)).Ips());
            allocator.Release(new ServiceKey("default", "plain-" + name));
            allocator.Release(new ServiceKey("default", name));
        }
        Assert.Equal("198.18.0.0", allocator.Ensure(Svc("plain")).Ips());
    }

    [Fact]
    public void Addresses_whose_holders_take_the_same_ports_in_another_order_are_equally_joinable()
    {
        var allocator = NewAllocator(Pool("p", "198.18.0.3-198.18.0.9"));
        allocator.Ensure(Svc("a1").Shared("k").Tcp(80) with { LoadBalancerIP = "198.18.0.4" });
        allocator.Ensure(Svc("a2").Shared("k").Tcp(443) with { LoadBalancerIP = "198.18.0.4" });
        allocator.Ensure(Svc("b1").Shared("k").Tcp(443) with { LoadBalancerIP = "198.18.0.3" });
        allocator.Ensure(Svc("b2").Shared("k").Tcp(80) with { LoadBalancerIP = "198.18.0.3" });
        // Both take TCP/80 and TCP/443: a newcomer on TCP/8080 joins the lower one, the next the other one.
        Assert.Equal("198.18.0.3", allocator.Ensure(Svc("c").Shared("k").Tcp(8080)).Ips());
        Assert.Equal("198.18.0.4", allocator.Ensure(Svc("d").Shared("k").Tcp(8080)).Ips());
        Assert.Equal("198.18.0.5", allocator.Ensure(Svc("e").Shared("k").Tcp(8080)).Ips());
    }

    [Fact]
    public void Services_under_one_key_with_different_pods_under_local_each_get_their_own_address()
    {
        var allocator = Pool24();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(IpAddress.V4((uint)Ip("198.18.0.0").Value + (uint)i), allocator.Ensure(Svc("s" + i).Shared("k").Tcp(80 + i).Local(("app", "a" + i))).Assignment!.Value.Addresses[0]);
        }
        Assert.Equal("198.18.0.7", allocator.Ensure(Svc("again").Shared("k").Tcp(1).Local(("app", "a7"))).Ips());
    }
}
