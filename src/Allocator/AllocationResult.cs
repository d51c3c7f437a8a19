using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// The answer for one Service. <see cref="Assignment"/> is what it holds now (null: nothing);
/// <see cref="Previous"/> what it held before when that changed; <see cref="Invalidation"/> why the previous
/// addresses could not stay; <see cref="Error"/> why it has nothing, or why a request could not be met.
/// </summary>
public readonly record struct AllocationResult(ServiceKey Service, AllocationOutcome Outcome)
{
    public Assignment? Assignment { get; init; }

    public Assignment? Previous { get; init; }

    /// <summary>
    /// One entry per address the Service gave up in this call, each naming the address and its family
    /// (<see cref="AllocationError.Address"/>, <see cref="AllocationError.Family"/>) and why it could not stay;
    /// the primary family's first. Empty when nothing was given up.
    /// </summary>
    public ImmutableArray<AllocationError> Invalidations { get; init; } = [];

    /// <summary>The first of <see cref="Invalidations"/>, or null.</summary>
    public AllocationError? Invalidation => Invalidations.IsDefaultOrEmpty ? null : Invalidations[0];

    public AllocationError? Error { get; init; }

    private string Lost => string.Join("; ", Invalidations.Select(e => $"{e.Address}: {e.Message}"));

    public override string ToString() => Outcome switch
    {
        AllocationOutcome.Failed => $"{Service}: failed: {Error}" + (Invalidation is null ? "" : $" (lost {Previous}: {Lost})"),
        AllocationOutcome.Moved => $"{Service}: moved from {Previous} to {Assignment}: {Lost}",
        _ => $"{Service}: {Outcome} {Assignment}" + (Invalidation is null ? "" : $" (lost {Lost})") + (Error is null ? "" : $" ({Error})"),
    };
}
