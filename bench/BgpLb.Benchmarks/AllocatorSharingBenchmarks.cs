using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BgpLb.Allocator;

namespace BgpLb.Benchmarks;

/// <summary>
/// 100,000 Services that all carry one <c>allow-shared-ip</c> key on the same TCP port, so none can
/// actually share: the case a review found at 33 s for 20,000 Services before sharers were grouped
/// by range and port set. (Many Services joining ONE address on distinct ports is still O(n) per
/// join: 100,000 of them did not finish in 10 minutes; see docs/performance.md.)
/// </summary>
[MemoryDiagnoser]
public class AllocatorSharingBenchmarks
{
    private static readonly ImmutableDictionary<string, string> SharedKey = ImmutableDictionary<string, string>.Empty.Add("bgplb.io/allow-shared-ip", "web");

    private LoadBalancerService[] _services = [];

    [GlobalSetup]
    public void Setup() =>
        _services = [.. Enumerable.Range(0, AllocatorWorkload.Services).Select(i => new LoadBalancerService(new ServiceKey("ns", "svc" + i))
        {
            IpFamilies = [IpFamily.IPv4],
            Annotations = SharedKey,
            Ports = [new ServicePort(80, TransportProtocol.TCP)],
        })];

    [Benchmark]
    public int AllocateAllUnderOneKey() => AllocatorWorkload.Full(false, _services).Count;
}
