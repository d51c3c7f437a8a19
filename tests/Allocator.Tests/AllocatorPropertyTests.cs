using System.Collections.Immutable;
using BgpLb.Allocator.Ranges;
using BgpLb.Allocator.Tests.Support;
using CsCheck;
using Xunit;

namespace BgpLb.Allocator.Tests;

/// <summary>
/// Random histories of pool edits, Service adds, updates and deletes, and restarts (a new allocator
/// that restores the previous assignments). After every step: no address held by two Services unless
/// they may share it; every assignment inside an eligible pool; the status agrees with the assignments;
/// a fresh automatic assignment is the lowest free address; a restart with the same inputs changes nothing.
/// </summary>
public sealed class AllocatorPropertyTests
{
    [Fact]
    public void Random_histories_keep_every_invariant() =>
        Scenario.History.Sample(h => Run(h.Pools, h.Steps), iter: 400);

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

    private static void Run(ImmutableArray<AddressPool> initialPools, Step[] steps)
    {
        var pools = initialPools;
        var allocator = Make.NewAllocator([.. pools]);
        foreach (var step in steps)
        {
            switch (step)
            {
                case EnsureStep e:
                    var before = Snapshot(allocator);
                    var result = allocator.Ensure(e.Service);
                    CheckResult(allocator, result);
                    CheckLowestFree(allocator, before, e.Service, result);
                    break;
                case ReleaseStep r:
                    allocator.Release(r.Service);
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
                    break;
                default:
                    allocator = Restart(allocator, pools);
                    break;
            }
            CheckInvariants(allocator, pools);
        }
    }

    /// <summary>A new allocator restores everything, then sees the same Services: every assignment must survive unchanged.</summary>
    private static IpAllocator Restart(IpAllocator old, ImmutableArray<AddressPool> pools)
    {
        var next = Make.NewAllocator([.. pools]);
        var services = old.Assignments.Select(a => old.ServiceOf(a.Service)!).ToArray();
        // Restore in reverse order: which Service is restored first must not matter.
        foreach (var service in services.Reverse())
        {
            var restored = next.Restore(service, old.GetAssignment(service.Key)!.Value.Addresses);
            Assert.True(restored.Outcome == AllocationOutcome.Restored, restored.ToString());
        }
        foreach (var service in services)
        {
            var result = next.Ensure(service);
            var was = old.GetAssignment(service.Key)!.Value;
            // PreferDualStack may gain the other family if it became free since; it never loses or moves.
            Assert.True(
                (result.Outcome == AllocationOutcome.Kept && result.Assignment == was)
                || (result.Outcome == AllocationOutcome.Extended && result.Previous == was),
                $"{result} (was {was})");
        }
        Assert.Equal(old.Count, next.Count);
        return next;
    }

    private static void CheckResult(IpAllocator allocator, AllocationResult result)
    {
        var held = allocator.GetAssignment(result.Service);
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

    /// <summary>An automatic, unshared assignment is the lowest usable address of its pool that nobody held.</summary>
    private static void CheckLowestFree(IpAllocator allocator, Dictionary<IpAddress, List<ServiceKey>> before, LoadBalancerService service, AllocationResult result)
    {
        if (result.Outcome != AllocationOutcome.Assigned || service.LoadBalancerIP is not null || service.Annotations.ContainsKey("bgplb.io/allow-shared-ip"))
        {
            return;
        }
        var assignment = result.Assignment!.Value;
        var pool = allocator.Pools.Single(p => p.Name == assignment.Pool);
        foreach (var address in assignment.Addresses)
        {
            var lowest = Usable(pool, address.Family).First(a => !before.ContainsKey(a));
            Assert.Equal(lowest, address);
        }
    }

    private static IEnumerable<IpAddress> Usable(AddressPool pool, IpFamily family) =>
        pool.Addresses.Where(r => r.Family == family).OrderBy(r => r.First)
            .SelectMany(r => Enumerable.Range(0, (int)r.Size).Select(i => new IpAddress(family, r.First.Value + (UInt128)i)))
            .Where(a => !pool.AvoidBuggyIPs || family == IpFamily.IPv6 || (byte)a.Value is not (0 or 255));

    private static void CheckInvariants(IpAllocator allocator, ImmutableArray<AddressPool> pools)
    {
        var assignments = allocator.Assignments;
        foreach (var a in assignments)
        {
            var service = allocator.ServiceOf(a.Service)!;
            // Inside a pool that exists, that holds every address as a usable one, and that may serve the Service.
            var pool = pools.Single(p => p.Name == a.Pool);
            Assert.All(a.Addresses, ip => Assert.Contains(ip, Usable(pool, ip.Family)));
            Assert.True(Eligible(pool, service), $"{a} is in a pool that does not select {service.Key}");
            Assert.True(a.Addresses.Length is 1 or 2 && a.Addresses.Select(x => x.Family).Distinct().Count() == a.Addresses.Length);
        }
        // Two Services on one address: same key, same namespace, same pods under Local, no port twice.
        foreach (var group in assignments.SelectMany(a => a.Addresses.Select(ip => (ip, a.Service))).GroupBy(x => x.ip).Where(g => g.Count() > 1))
        {
            var sharers = group.Select(x => allocator.ServiceOf(x.Service)!).ToArray();
            var keys = sharers.Select(s => s.Annotations.GetValueOrDefault("bgplb.io/allow-shared-ip")).Distinct().ToArray();
            Assert.True(keys is [not null], $"{group.Key} shared by {string.Join(",", sharers.Select(s => s.Key))} with keys {string.Join(",", keys)}");
            Assert.Single(sharers.Select(s => s.Key.Namespace).Distinct());
            Assert.Single(sharers.Select(s => s.ExternalTrafficPolicy == ExternalTrafficPolicy.Local ? "local:" + s.Selector["app"] : "cluster").Distinct());
            var ports = sharers.SelectMany(s => s.Ports).ToArray();
            Assert.Equal(ports.Length, ports.Distinct().Count());
        }
        // Status counts each address once, per family, per pool.
        foreach (var pool in pools)
        {
            var status = allocator.StatusOf(pool.Name)!;
            var inPool = assignments.Where(a => a.Pool == pool.Name).SelectMany(a => a.Addresses).Distinct().ToArray();
            Assert.Equal((UInt128)inPool.Count(a => a.Family == IpFamily.IPv4), status.IPv4InUse);
            Assert.Equal((UInt128)inPool.Count(a => a.Family == IpFamily.IPv6), status.IPv6InUse);
            Assert.Equal((UInt128)Usable(pool, IpFamily.IPv4).Count(), status.IPv4InUse + status.IPv4Available);
        }
    }

    private static bool Eligible(AddressPool pool, LoadBalancerService service) =>
        pool.ServiceAllocation switch
        {
            null => true,
            { Namespaces: [_, ..] } a => a.Namespaces.Contains(service.Key.Namespace),
            { NamespaceSelectors: [_, ..] } => service.NamespaceLabels.GetValueOrDefault("tier") == "prod",
            _ => true,
        };
}
