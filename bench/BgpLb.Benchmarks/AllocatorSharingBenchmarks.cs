using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BgpLb.Allocator;

namespace BgpLb.Benchmarks;

/// <summary>
/// 100,000 Services that all carry one <c>allow-shared-ip</c> key, into 198.18.0.0/15, in two shapes:
/// all on the same TCP port, so none can share (a review found 33 s for 20,000 of them before sharers were
/// grouped by range and port set); and each on its own port, so all join ONE address (100,000 of them did
/// not finish in 10 minutes while each join was checked against every holder).
/// </summary>
[MemoryDiagnoser]
public class AllocatorSharingBenchmarks
{
    private static readonly ImmutableDictionary<string, string> SharedKey = ImmutableDictionary<string, string>.Empty.Add("bgplb.io/allow-shared-ip", "web");

    // Ports 1-65535 over TCP, then UDP: 131,070 distinct port/protocol pairs, enough for one each.
    private const int PortsPerProtocol = 65_535;

    private LoadBalancerService[] _samePort = [];
    private LoadBalancerService[] _ownPort = [];

    [GlobalSetup]
    public void Setup()
    {
        _samePort = Build(_ => new ServicePort(80, TransportProtocol.TCP));
        _ownPort = Build(i => new ServicePort((i % PortsPerProtocol) + 1, i < PortsPerProtocol ? TransportProtocol.TCP : TransportProtocol.UDP));
    }

    /// <summary>All TCP/80: each Service gets an address of its own (after one bucket test per pick).</summary>
    [Benchmark]
    public int AllocateAllUnderOneKey() => AllocatorWorkload.Full(false, _samePort).Count;

    /// <summary>Each its own port: all 100,000 join 198.18.0.0.</summary>
    [Benchmark]
    public int AllocateAllOnOneAddress() => AllocatorWorkload.Full(false, _ownPort).Count;

    private static LoadBalancerService[] Build(Func<int, ServicePort> port) =>
        [.. Enumerable.Range(0, AllocatorWorkload.Services).Select(i => new LoadBalancerService(new ServiceKey("ns", "svc" + i))
        {
            IpFamilies = [IpFamily.IPv4],
            Annotations = SharedKey,
            Ports = [port(i)],
        })];
}
