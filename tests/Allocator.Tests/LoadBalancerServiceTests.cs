using System.Collections.Immutable;
using System.Reflection;
using Xunit;

namespace BgpLb.Allocator.Tests;

/// <summary>The record's rarely set fields live in a side object: the same values, the same equality, one shared object while unset.</summary>
public sealed class LoadBalancerServiceTests
{
    private static readonly ServiceKey Web = new("shop", "web");

    private static object SideObject(LoadBalancerService service) =>
        typeof(LoadBalancerService).GetField("_rare", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(service)!;

    [Fact]
    public void The_rare_fields_read_back_what_was_set_and_a_with_keeps_the_others()
    {
        var annotations = ImmutableDictionary<string, string>.Empty.Add("bgplb.io/allow-shared-ip", "k");
        var selector = ImmutableDictionary<string, string>.Empty.Add("app", "web");
        var service = new LoadBalancerService(Web)
        {
            Annotations = annotations,
            LoadBalancerIP = "198.18.0.7",
            LoadBalancerClass = "bgplb.io/bgplb",
            Selector = selector,
            ExternalTrafficPolicy = ExternalTrafficPolicy.Local,
        };
        Assert.Same(annotations, service.Annotations);
        Assert.Equal("198.18.0.7", service.LoadBalancerIP);
        Assert.Equal("bgplb.io/bgplb", service.LoadBalancerClass);
        Assert.Same(selector, service.Selector);

        var moved = service with { LoadBalancerIP = "198.18.0.8" };
        Assert.Equal("198.18.0.8", moved.LoadBalancerIP);
        Assert.Same(annotations, moved.Annotations);
        Assert.Equal("bgplb.io/bgplb", moved.LoadBalancerClass);
        Assert.Same(selector, moved.Selector);
        Assert.Equal("198.18.0.7", service.LoadBalancerIP);
        Assert.NotEqual(service, moved);
        Assert.Equal(service, moved with { LoadBalancerIP = "198.18.0.7" });
    }

    [Fact]
    public void Services_with_none_set_share_one_side_object_and_unsetting_returns_to_it()
    {
        var plain = new LoadBalancerService(Web) { Ports = [new ServicePort(80, TransportProtocol.TCP)] };
        var other = new LoadBalancerService(new ServiceKey("shop", "api"))
        {
            // What a loader writes for a Service without them: defaults, and empty tables of its own.
            Annotations = ImmutableDictionary.Create<string, string>(),
            LoadBalancerIP = null,
            LoadBalancerClass = null,
            Selector = ImmutableDictionary.Create<string, string>(),
        };
        Assert.Same(SideObject(plain), SideObject(other));
        Assert.Empty(other.Selector);

        var set = plain with { LoadBalancerClass = "bgplb.io/bgplb" };
        Assert.NotSame(SideObject(plain), SideObject(set));
        var unset = set with { LoadBalancerClass = null };
        Assert.Same(SideObject(plain), SideObject(unset));
        Assert.Equal(plain, unset);
        Assert.Equal(plain.GetHashCode(), unset.GetHashCode());
    }
}
