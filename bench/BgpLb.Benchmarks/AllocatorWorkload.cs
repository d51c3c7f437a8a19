using BgpLb.Allocator;

namespace BgpLb.Benchmarks;

/// <summary>The allocator workload: 100,000 Services over one pool, an IPv4 /15 or an IPv6 /64.</summary>
public static class AllocatorWorkload
{
    public const int Services = 100_000;

    public const string V4Pool = "198.18.0.0/15";

    public const string V6Pool = "2001:db8:ffff::/64";

    public static AddressPool Pool(bool v6) => new("vips", [AddressRange.Parse(v6 ? V6Pool : V4Pool)]);

    /// <summary>Plain Services (one TCP port, no annotations), single-stack in the pool's family, in 10 namespaces.</summary>
    public static LoadBalancerService[] Build(bool v6) =>
        [.. Enumerable.Range(0, Services).Select(i => new LoadBalancerService(new ServiceKey("ns" + (i % 10), "svc" + i))
        {
            IpFamilies = [v6 ? IpFamily.IPv6 : IpFamily.IPv4],
            Ports = [new ServicePort(443, TransportProtocol.TCP)],
        })];

    /// <summary>A full allocator: every Service holds an address.</summary>
    public static IpAllocator Full(bool v6, LoadBalancerService[] services, int capacityHint = 0)
    {
        var allocator = new IpAllocator(new AllocatorOptions { CapacityHint = capacityHint });
        allocator.SetPools([Pool(v6)]);
        foreach (var service in services)
        {
            allocator.Ensure(service);
        }
        return allocator;
    }
}
