using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// The answer to <see cref="IpAllocator.SetPools"/>: either <see cref="Error"/> (the pools were rejected and
/// the previous ones stay), or every Service the edit touched: moved, left without an address, or kept
/// but now counted in a differently named pool.
/// </summary>
public sealed record PoolUpdate(AllocationError? Error, ImmutableArray<AllocationResult> Changes)
{
    public bool Accepted => Error is null;
}
