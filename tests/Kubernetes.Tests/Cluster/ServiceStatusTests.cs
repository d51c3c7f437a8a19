using System.Text.Json;
using BgpLb.Allocator;
using BgpLb.Daemon.Cluster;

namespace BgpLb.Kubernetes.Tests.Cluster;

/// <summary>The status comparison that decides whether a write is needed, and the patch, without a server.</summary>
public sealed class ServiceStatusTests
{
    private static ClusterObject Service(string status) => ClusterObject.From(ResourceType.Services,
        JsonDocument.Parse($$"""{"metadata":{"name":"web","namespace":"shop","resourceVersion":"7","uid":"u"},"status":{{status}}}""").RootElement);

    [Fact]
    public void Says_compares_the_set_of_ingress_IPs_and_ipMode_only_when_the_server_has_it()
    {
        var both = Service("""{"loadBalancer":{"ingress":[{"ip":"2001:db8:ffff::1"},{"ip":"198.18.0.1"}]}}""");
        Assert.True(ServiceStatus.Says(both, [IpAddress.Parse("198.18.0.1"), IpAddress.Parse("2001:db8:ffff::1")], ipMode: false));
        Assert.False(ServiceStatus.Says(both, [IpAddress.Parse("198.18.0.1"), IpAddress.Parse("2001:db8:ffff::1")], ipMode: true));
        Assert.False(ServiceStatus.Says(both, [IpAddress.Parse("198.18.0.1")], ipMode: false));
        Assert.False(ServiceStatus.Says(both, [], ipMode: false));
        var empty = Service("""{"loadBalancer":{}}""");
        Assert.True(ServiceStatus.Says(empty, [], ipMode: false));
        Assert.False(ServiceStatus.Says(empty, [IpAddress.Parse("198.18.0.1")], ipMode: false));
        var withMode = Service("""{"loadBalancer":{"ingress":[{"ip":"198.18.0.1","ipMode":"VIP"}]}}""");
        Assert.True(ServiceStatus.Says(withMode, [IpAddress.Parse("198.18.0.1")], ipMode: true));
        var duplicate = Service("""{"loadBalancer":{"ingress":[{"ip":"198.18.0.1"},{"ip":"198.18.0.1"}]}}""");
        Assert.False(ServiceStatus.Says(duplicate, [IpAddress.Parse("198.18.0.1")], ipMode: false));
        Assert.Equal(IpAddress.Parse("198.18.0.1"), Assert.Single(ServiceStatus.IngressOf(withMode)));
    }

    [Fact]
    public void The_patch_sets_the_ingress_with_ipMode_when_asked_and_deletes_it_when_empty()
    {
        Assert.Equal("""{"status":{"loadBalancer":{"ingress":[{"ip":"198.18.0.1","ipMode":"VIP"}]}}}""", ServiceStatus.Patch([IpAddress.Parse("198.18.0.1")], ipMode: true));
        Assert.Equal("""{"status":{"loadBalancer":{"ingress":[{"ip":"198.18.0.1"}]}}}""", ServiceStatus.Patch([IpAddress.Parse("198.18.0.1")], ipMode: false));
        Assert.Equal("""{"status":{"loadBalancer":{"ingress":null}}}""", ServiceStatus.Patch([], ipMode: false));
    }
}
