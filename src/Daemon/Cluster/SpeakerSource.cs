using System.Collections.Immutable;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using BgpLb.Daemon.Runtime;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// The speaker's <see cref="ISnapshotSource"/>: the configuration from the watched objects through
/// <see cref="ClusterConfiguration"/> (the files' loader), and each Service's addresses from its
/// <c>status.loadBalancer.ingress</c> as the controller wrote it. Nothing is allocated: every address is
/// restored into a new allocator, which maps it to the pool holding it and applies the controller's own
/// rules (loadBalancerClass, the pool's serviceAllocation, sharing), so the speaker announces exactly what
/// the controller would keep, and says why of what it would not.
/// </summary>
public sealed class SpeakerSource(IReadOnlyList<ResourceStore> stores, ResourceStore services, string ns, string? loadBalancerClass) : ISnapshotSource
{
    private readonly ClusterConfiguration _configuration = new();
    private readonly AllocatorOptions _classRule = LoadBalancerClassRule.Options(loadBalancerClass);

    /// <summary>Raised on the caller of <see cref="Load"/> after each build, with every finding (the speaker reports refused objects).</summary>
    public event Action<ClusterConfigResult>? Built;

    public string Description => $"the cluster (bgplb.io objects and Secrets in namespace {ns})";

    /// <summary>Builds the snapshot; when the objects are refused together, the running one stays (no snapshot, the errors).</summary>
    public ConfigLoadResult Load()
    {
        var built = _configuration.Build(stores);
        Built?.Invoke(built);
        var snapshot = built.KeptLastGood ? null : built.Snapshot;
        return new ConfigLoadResult(snapshot, built.Diagnostics, stores.Sum(s => s.Count));
    }

    public GivenAssignments Assign(ConfigSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var allocator = new IpAllocator(_classRule with { CapacityHint = snapshot.Services.Length });
        // The model refuses overlapping and duplicate pools, which is all SetPools checks.
        allocator.SetPools(snapshot.Pools.Select(p => p.Pool));
        var unassigned = ImmutableArray.CreateBuilder<UnassignedService>();
        foreach (var service in snapshot.Services)
        {
            if (services.Get(service.Key.Namespace, service.Key.Name) is not { } item || ServiceStatus.IngressOf(item) is not { IsEmpty: false } addresses)
            {
                continue; // no address yet: the controller has not allocated (or failed to), and says so on the Service
            }
            var result = allocator.Restore(service, addresses);
            if (result.Outcome == AllocationOutcome.NotOurs)
            {
                continue;
            }
            if (result.Assignment is null)
            {
                unassigned.Add(new UnassignedService(service.Key, addresses, Why(result)));
            }
            else if (!result.Invalidations.IsDefaultOrEmpty)
            {
                var lost = addresses.Where(a => !result.Assignment.Value.Addresses.Contains(a)).ToImmutableArray();
                unassigned.Add(new UnassignedService(service.Key, lost, Why(result)));
            }
        }
        return new GivenAssignments(allocator.Assignments, unassigned.ToImmutable(), allocator.Status());
    }

    private static string Why(AllocationResult result)
    {
        var reasons = result.Invalidations.IsDefaultOrEmpty
            ? [result.Error?.Message ?? result.Outcome.ToString()]
            : result.Invalidations.Select(e => e.Message);
        return "status address not announced: " + string.Join("; ", reasons);
    }
}
