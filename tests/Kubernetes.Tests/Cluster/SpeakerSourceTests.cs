using System.Text.Json;
using BgpLb.Allocator;
using BgpLb.Daemon.Cluster;

namespace BgpLb.Kubernetes.Tests.Cluster;

/// <summary>The speaker's configuration and addresses from stores filled by hand (no server): what it announces and what not, and why.</summary>
public sealed class SpeakerSourceTests
{
    private static ClusterObject Object(ResourceType type, string json) => ClusterObject.From(type, JsonDocument.Parse(json).RootElement);

    private static ClusterObject Service(string name, string? lbClass, string ingress)
    {
        var spec = lbClass is null ? "" : ",\"loadBalancerClass\":\"" + lbClass + "\"";
        return Object(ResourceType.Services,
            "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"shop\",\"resourceVersion\":\"1\",\"uid\":\"u-" + name + "\"},"
            + "\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80}]" + spec + "},"
            + "\"status\":{\"loadBalancer\":{\"ingress\":[" + ingress + "]}}}");
    }

    private static (SpeakerSource Source, ResourceStore Services) Source(string? lbClass)
    {
        var pools = new ResourceStore(ResourceType.IpAddressPools);
        pools.Replace([Object(ResourceType.IpAddressPools,
            """{"metadata":{"name":"vips","namespace":"bgplb-system","resourceVersion":"1","uid":"p"},"spec":{"addresses":["198.18.30.0/29"]}}""")]);
        var services = new ResourceStore(ResourceType.Services);
        return (new SpeakerSource([pools, services], services, "bgplb-system", lbClass), services);
    }

    [Fact]
    public void Status_addresses_in_a_pool_are_assigned_from_it_and_one_in_no_pool_is_listed_with_why()
    {
        var (source, services) = Source("bgplb.example/ours");
        services.Replace([
            Service("web", "bgplb.example/ours", """{"ip":"198.18.30.1"}"""),
            Service("stray", "bgplb.example/ours", """{"ip":"198.18.99.1"}"""),
            Service("theirs", "other.example/lb", """{"ip":"198.18.30.2"}"""),
            Service("unallocated", "bgplb.example/ours", ""),
        ]);
        var snapshot = source.Load().Snapshot;
        Assert.NotNull(snapshot);

        var given = source.Assign(snapshot);
        var web = Assert.Single(given.Assignments);
        Assert.Equal(new ServiceKey("shop", "web"), web.Service);
        Assert.Equal("vips", web.Pool);
        Assert.Equal(["198.18.30.1"], web.Addresses.Select(a => a.ToString()));
        // Another class's Service is not ours (the controller's rule), so not even listed.
        var stray = Assert.Single(given.Unassigned);
        Assert.Equal(new ServiceKey("shop", "stray"), stray.Service);
        Assert.Equal(["198.18.99.1"], stray.Addresses.Select(a => a.ToString()));
        Assert.StartsWith("status address not announced: ", stray.Reason, StringComparison.Ordinal);
        Assert.Contains("198.18.99.1", stray.Reason, StringComparison.Ordinal);
        Assert.Equal(UInt128.One, Assert.Single(given.Pools).IPv4InUse);
    }

    [Fact]
    public void As_the_default_class_Services_without_a_class_are_ours()
    {
        var (source, services) = Source(null);
        services.Replace([Service("plain", null, """{"ip":"198.18.30.3"}""")]);
        var given = source.Assign(source.Load().Snapshot!);
        Assert.Equal(new ServiceKey("shop", "plain"), Assert.Single(given.Assignments).Service);
    }
}
