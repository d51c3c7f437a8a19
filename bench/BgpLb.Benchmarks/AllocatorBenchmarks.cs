using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BgpLb.Allocator;

namespace BgpLb.Benchmarks;

/// <summary>
/// <see cref="IpAllocator"/> with 100,000 Services over an IPv4 /15 and an IPv6 /64 (issue 5 targets:
/// allocate-all and restore ≤ 0.5 s each, one allocate/release ≤ 5 µs, ≤ 200 bytes per assignment).
/// Retained bytes per assignment come from <see cref="AllocatorMemory"/> (<c>-- --allocator-memory</c>).
/// </summary>
[MemoryDiagnoser]
public class AllocatorBenchmarks
{
    private LoadBalancerService[] _services = [];
    private ImmutableArray<IpAddress>[] _saved = [];
    private IpAllocator _full = null!;
    private LoadBalancerService _middle = null!;

    [Params(false, true)]
    public bool IPv6 { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = AllocatorWorkload.Build(IPv6);
        _full = AllocatorWorkload.Full(IPv6, _services);
        _saved = [.. _services.Select(s => _full.GetAssignment(s.Key)!.Value.Addresses)];
        _middle = _services[AllocatorWorkload.Services / 2];
    }

    /// <summary>A fresh allocator gives all 100,000 Services an address, lowest first.</summary>
    [Benchmark]
    public int AllocateAll() => AllocatorWorkload.Full(IPv6, _services).Count;

    /// <summary>A fresh allocator (sized from the state file's count) restores 100,000 assignments, then confirms them all.</summary>
    [Benchmark]
    public int RestoreAll()
    {
        var allocator = new IpAllocator(new AllocatorOptions { CapacityHint = _services.Length });
        allocator.SetPools([AllocatorWorkload.Pool(IPv6)]);
        for (var i = 0; i < _services.Length; i++)
        {
            allocator.Restore(_services[i], _saved[i]);
        }
        return allocator.Count;
    }

    /// <summary>In the full pool: release the Service in the middle (splitting the run) and allocate again (the hole, merging it back).</summary>
    [Benchmark]
    public AllocationOutcome ReleaseAndAllocate()
    {
        _full.Release(_middle.Key);
        return _full.Ensure(_middle).Outcome;
    }

    /// <summary>In the full pool: an unchanged Service seen again (the steady-state reconcile).</summary>
    [Benchmark]
    public AllocationOutcome EnsureUnchanged() => _full.Ensure(_middle).Outcome;
}
