using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>What the allocator consumes, taken from a snapshot: <c>SetPools(Pools)</c>, then <c>Ensure</c> for each of <see cref="Services"/>.</summary>
public sealed record AllocatorInputs(ImmutableArray<AddressPool> Pools, ImmutableArray<LoadBalancerService> Services)
{
    public static AllocatorInputs From(ConfigSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new AllocatorInputs([.. snapshot.Pools.Select(p => p.Pool)], snapshot.Services);
    }
}
