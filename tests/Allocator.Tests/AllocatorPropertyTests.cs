using System.Collections.Immutable;
using BgpLb.Allocator.Ranges;
using BgpLb.Allocator.Tests.Support;
using CsCheck;
using Xunit;

namespace BgpLb.Allocator.Tests;

/// <summary>
/// Random histories of pool edits, Service adds, updates and deletes, and restarts (a new allocator
/// that restores the previous assignments), over tiny and huge pools (see <see cref="Scenario"/>). After
/// every step: no address held by two Services unless they may share it; every assignment inside an
/// eligible pool; the status agrees with the assignments; a fresh automatic assignment is the lowest
/// usable address nobody holds (so freed addresses are reused); nothing changes for a Service the step
/// did not report, and every address a Service gave up is named in its result; a restart with the same
/// inputs changes nothing.
/// </summary>
public sealed class AllocatorPropertyTests
{
    [Fact]
    public void Random_histories_keep_every_invariant() =>
        Scenario.History.Sample(h => Run(h.Options, h.Pools.Pools, h.Steps), iter: 500);

    [Fact]
    public void Run_tree_agrees_with_a_set_of_used_addresses() =>
        Gen.Select(Gen.Bool, Gen.Int[0, 600].Array[1, 400], (buggy, ops) => (buggy, ops)).Sample(x =>
        {
            var range = new PoolRange(new AddressPool("p", []) { AvoidBuggyIPs = x.buggy }, AddressRange.Parse("198.18.0.0/23"));
            var used = new SortedSet<uint>();
            var usable = Enumerable.Range(0, 512).Select(i => (uint)i).Where(i => !x.buggy || (i & 0xFF) is not (0 or 255)).ToArray();
            var first = AddressRange.Parse("198.18.0.0/23").First.Value;
            foreach (var op in x.ops)
            {
                if (op < 512)
                {
                    // Toggle one usable address.
                    var a = usable[op % usable.Length];
                    if (used.Add(a))
                    {
                        range.MarkUsed(first + a);
                    }
                    else
                    {
                        used.Remove(a);
                        range.MarkFree(first + a);
                    }
                }
                else if (range.TryLowestFree(out var free))
                {
                    // Take the lowest free address.
                    var expected = usable.First(u => !used.Contains(u));
                    Assert.Equal(first + expected, free);
                    used.Add(expected);
                    range.MarkUsed(free);
                }
                else
                {
                    Assert.Equal(usable.Length, used.Count);
                }
                Assert.Equal((UInt128)used.Count, range.InUse);
                // Maximal runs: one per gap-separated group of used usable addresses.
                var runs = used.Count(u => Array.IndexOf(usable, u) is var i && (i == 0 || !used.Contains(usable[i - 1])));
                Assert.Equal(runs, range.Runs);
            }
        }, iter: 300);

    private static void Run(AllocatorOptions options, ImmutableArray<AddressPool> initialPools, Step[] steps)
    {
        var pools = initialPools;
        var allocator = Make.NewAllocator(options, [.. pools]);
        foreach (var step in steps)
        {
            var before = allocator.Assignments.ToDictionary(a => a.Service);
            ImmutableArray<AllocationResult> results = [];
            switch (step)
            {
                case EnsureStep e:
                    var held = Snapshot(allocator);
                    var result = allocator.Ensure(e.Service);
                    CheckResult(allocator, result);
                    CheckLowestFree(allocator, options, held, e.Service, result);
                    results = [result];
                    break;
                case ReleaseStep r:
                    results = [allocator.Release(r.Service)];
                    Assert.Null(allocator.GetAssignment(r.Service));
                    break;
                case PoolsStep p:
                    var update = allocator.SetPools(p.Pools);
                    Assert.True(update.Accepted, update.Error?.Message);
                    pools = p.Pools;
                    foreach (var change in update.Changes)
                    {
                        CheckResult(allocator, change);
                    }
                    results = update.Changes;
                    break;
                default:
                    (allocator, results) = Restart(allocator, options, pools);
                    break;
            }
            CheckReported(before, allocator, results);
            CheckInvariants(allocator, options, pools);
        }
    }

    /// <summary>
    /// Nothing is silently moved: a Service whose assignment changed has a result in the step, with what it
    /// held as <see cref="AllocationResult.Previous"/> and each address it gave up named in its invalidations
    /// (unless it was released).
    /// </summary>
    private static void CheckReported(Dictionary<ServiceKey, Assignment> before, IpAllocator allocator, ImmutableArray<AllocationResult> results)
    {
        var after = allocator.Assignments.ToDictionary(a => a.Service);
        foreach (var service in before.Keys.Union(after.Keys))
        {
            var was = before.TryGetValue(service, out var b) ? b : (Assignment?)null;
            var now = after.TryGetValue(service, out var a) ? a : (Assignment?)null;
            if (was == now)
            {
                continue;
            }
            var reported = results.Where(r => r.Service == service).ToArray();
            Assert.True(reported.Length == 1, $"{service} changed from {was} to {now} without being reported once: {string.Join("; ", results)}");
            var result = reported[0];
            Assert.Equal(now, result.Assignment);
            if (was is not { } previous || result.Outcome == AllocationOutcome.Released)
            {
                continue;
            }
            Assert.Equal(previous, result.Previous);
            foreach (var lost in previous.Addresses.Except(now?.Addresses ?? []))
            {
                Assert.True(result.Invalidations.Any(e => e.Address == lost), $"{service} lost {lost} without saying why: {result}");
            }
        }
    }

    /// <summary>A new allocator restores everything, then sees the same Services: every assignment must survive unchanged.</summary>
    private static (IpAllocator, ImmutableArray<AllocationResult>) Restart(IpAllocator old, AllocatorOptions options, ImmutableArray<AddressPool> pools)
    {
        var results = ImmutableArray.CreateBuilder<AllocationResult>();
        var next = Make.NewAllocator(options, [.. pools]);
        var services = old.Assignments.Select(a => old.ServiceOf(a.Service)!).ToArray();
        // Restore in reverse order: which Service is restored first must not matter.
        foreach (var service in services.Reverse())
        {
            var restored = next.Restore(service, old.GetAssignment(service.Key)!.Value.Addresses);
            Assert.True(restored.Outcome == AllocationOutcome.Restored && restored.Invalidations.IsEmpty, restored.ToString());
            Assert.Equal(old.GetAssignment(service.Key), restored.Assignment);
        }
        foreach (var service in services)
        {
            var result = next.Ensure(service);
            results.Add(result);
            var was = old.GetAssignment(service.Key)!.Value;
            // PreferDualStack may gain the other family if it became free since; it never loses or moves.
            Assert.True(
                (result.Outcome == AllocationOutcome.Kept && result.Assignment == was)
                || (result.Outcome == AllocationOutcome.Extended && result.Previous == was),
                $"{result} (was {was})");
        }
        Assert.Equal(old.Count, next.Count);
        return (next, results.ToImmutable());
    }

    private static void CheckResult(IpAllocator allocator, AllocationResult result)
    {
        var held = allocator.GetAssignment(result.Service);
        foreach (var lost in result.Invalidations)
        {
            Assert.NotNull(lost.Address);
            Assert.Equal(lost.Address.Value.Family, lost.Family);
            Assert.False(string.IsNullOrEmpty(lost.Message));
        }
        switch (result.Outcome)
        {
            case AllocationOutcome.Failed or AllocationOutcome.Released or AllocationOutcome.NotOurs:
                Assert.Null(held);
                if (result.Outcome == AllocationOutcome.Failed)
                {
                    Assert.NotNull(result.Error);
                    Assert.False(string.IsNullOrEmpty(result.Error.Message));
                }
                break;
            case AllocationOutcome.Moved:
                Assert.NotNull(result.Invalidation);
                Assert.NotNull(result.Previous);
                Assert.Equal(held, result.Assignment);
                break;
            default:
                Assert.NotNull(held);
                Assert.Equal(held, result.Assignment);
                break;
        }
    }

    private static Dictionary<IpAddress, List<ServiceKey>> Snapshot(IpAllocator allocator) =>
        allocator.Assignments.SelectMany(a => a.Addresses.Select(ip => (ip, a.Service)))
            .GroupBy(x => x.ip).ToDictionary(g => g.Key, g => g.Select(x => x.Service).ToList());

    /// <summary>
    /// An automatic assignment is, per family, the lowest usable address of its pool that is free or that the
    /// Service may legally join (MetalLB walks the pool upwards and takes the first such): so freed addresses
    /// are reused, and a keyed Service joins the lowest address it can share.
    /// </summary>
    private static void CheckLowestFree(IpAllocator allocator, AllocatorOptions options, Dictionary<IpAddress, List<ServiceKey>> before, LoadBalancerService service, AllocationResult result)
    {
        if (result.Outcome != AllocationOutcome.Assigned || service.LoadBalancerIP is not null || service.Annotations.ContainsKey("bgplb.io/loadBalancerIPs"))
        {
            return;
        }
        var assignment = result.Assignment!.Value;
        var pool = allocator.Pools.Single(p => p.Name == assignment.Pool);
        foreach (var address in assignment.Addresses)
        {
            // Lazy: at most the held addresses (a few dozen) are stepped over, even in a /64.
            var lowest = Usable(pool, address.Family).First(a =>
                !before.TryGetValue(a, out var holders) || holders.All(h => MayShare(options, service, allocator.ServiceOf(h)!)));
            Assert.Equal(lowest, address);
        }
    }

    private static string? SharingKey(LoadBalancerService s) => s.Annotations.GetValueOrDefault("bgplb.io/allow-shared-ip");

    private static string Backend(LoadBalancerService s) => s.ExternalTrafficPolicy == ExternalTrafficPolicy.Local ? "local:" + s.Selector["app"] : "cluster";

    /// <summary>MetalLB's sharing rules (and ours: one namespace, unless allowed), from the Services alone.</summary>
    private static bool MayShare(AllocatorOptions options, LoadBalancerService a, LoadBalancerService b) =>
        SharingKey(a) is { } key && key == SharingKey(b) && (options.AllowSharingAcrossNamespaces || a.Key.Namespace == b.Key.Namespace)
        && Backend(a) == Backend(b) && !a.Ports.Intersect(b.Ports).Any();

    /// <summary>The usable addresses of a pool and family in address order, lazily.</summary>
    private static IEnumerable<IpAddress> Usable(AddressPool pool, IpFamily family)
    {
        foreach (var range in pool.Addresses.Where(r => r.Family == family).OrderBy(r => r.First))
        {
            for (var a = range.First.Value; ; a++)
            {
                if (IsUsable(pool, new IpAddress(family, a)))
                {
                    yield return new IpAddress(family, a);
                }
                if (a == range.Last.Value)
                {
                    break;
                }
            }
        }
    }

    private static bool IsUsable(AddressPool pool, IpAddress address) =>
        pool.Addresses.Any(r => r.Family == address.Family && r.First.Value <= address.Value && address.Value <= r.Last.Value)
        && !(pool.AvoidBuggyIPs && address.Family == IpFamily.IPv4 && (byte)address.Value is 0 or 255);

    /// <summary>Usable addresses of a pool and family, counted /24 by /24 for IPv4 (a /16 is 256 blocks).</summary>
    private static UInt128 UsableCount(AddressPool pool, IpFamily family)
    {
        UInt128 total = 0;
        foreach (var range in pool.Addresses.Where(r => r.Family == family))
        {
            if (family == IpFamily.IPv6 || !pool.AvoidBuggyIPs)
            {
                total += range.Size;
                continue;
            }
            const uint Block = 256;
            var (first, last) = ((uint)range.First.Value, (uint)range.Last.Value);
            for (var block = first / Block; block <= last / Block; block++)
            {
                var (lo, hi) = (Math.Max(first, block * Block), Math.Min(last, (block * Block) + Block - 1));
                total += hi - lo + 1 - (lo == block * Block ? 1u : 0u) - (hi == (block * Block) + Block - 1 ? 1u : 0u);
            }
        }
        return total;
    }

    private static void CheckInvariants(IpAllocator allocator, AllocatorOptions options, ImmutableArray<AddressPool> pools)
    {
        var assignments = allocator.Assignments;
        foreach (var a in assignments)
        {
            var service = allocator.ServiceOf(a.Service)!;
            // Inside a pool that exists, that holds every address as a usable one, and that may serve the Service.
            var pool = pools.Single(p => p.Name == a.Pool);
            Assert.All(a.Addresses, ip => Assert.True(IsUsable(pool, ip), $"{a}: {ip} is not a usable address of {pool.Name}"));
            Assert.True(Eligible(pool, service), $"{a} is in a pool that does not select {service.Key}");
            Assert.True(a.Addresses.Length is 1 or 2 && a.Addresses.Select(x => x.Family).Distinct().Count() == a.Addresses.Length);
            // What a readable request asks for is honoured: only requested addresses, the requested pool, its families.
            if (ServiceRequest.TryRead(service, out var request, out _))
            {
                Assert.All(a.Addresses, ip => Assert.Contains(ip.Family, request.Families));
                Assert.True(request.RequestedAddresses.IsEmpty || a.Addresses.All(request.RequestedAddresses.Contains), $"{a} while {service.Key} requests {string.Join(",", request.RequestedAddresses)}");
                Assert.True(request.RequestedPool is null || request.RequestedPool == a.Pool, $"{a} while {service.Key} requests pool {request.RequestedPool}");
            }
        }
        // Two Services on one address: same key, same namespace (unless allowed), same pods under Local, no port twice.
        foreach (var group in assignments.SelectMany(a => a.Addresses.Select(ip => (ip, a.Service))).GroupBy(x => x.ip).Where(g => g.Count() > 1))
        {
            var sharers = group.Select(x => allocator.ServiceOf(x.Service)!).ToArray();
            for (var i = 0; i < sharers.Length; i++)
            {
                for (var j = i + 1; j < sharers.Length; j++)
                {
                    Assert.True(MayShare(options, sharers[i], sharers[j]), $"{group.Key} shared by {sharers[i].Key} and {sharers[j].Key}, which may not share");
                }
            }
        }
        // Status counts each address once, per family, per pool.
        foreach (var pool in pools)
        {
            var status = allocator.StatusOf(pool.Name)!;
            var inPool = assignments.Where(a => a.Pool == pool.Name).SelectMany(a => a.Addresses).Distinct().ToArray();
            Assert.Equal((UInt128)inPool.Count(a => a.Family == IpFamily.IPv4), status.IPv4InUse);
            Assert.Equal((UInt128)inPool.Count(a => a.Family == IpFamily.IPv6), status.IPv6InUse);
            Assert.Equal(UsableCount(pool, IpFamily.IPv4), status.IPv4InUse + status.IPv4Available);
            Assert.Equal(UsableCount(pool, IpFamily.IPv6), status.IPv6InUse + status.IPv6Available);
        }
    }

    /// <summary>serviceAllocation: the namespace listed or selected (when either is given), and the labels selected (when service selectors are given).</summary>
    private static bool Eligible(AddressPool pool, LoadBalancerService service)
    {
        if (pool.ServiceAllocation is not { } rules)
        {
            return true;
        }
        var namespaceRuled = !rules.Namespaces.IsEmpty || !rules.NamespaceSelectors.IsEmpty;
        var namespaceOk = !namespaceRuled
            || rules.Namespaces.Contains(service.Key.Namespace)
            || rules.NamespaceSelectors.Any(s => s.Matches(service.NamespaceLabels));
        return namespaceOk && (rules.ServiceSelectors.IsEmpty || rules.ServiceSelectors.Any(s => s.Matches(service.Labels)));
    }
}
