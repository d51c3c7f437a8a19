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

    public AllocationError? Invalidation { get; init; }

    public AllocationError? Error { get; init; }

    public override string ToString() => Outcome switch
    {
        AllocationOutcome.Failed => $"{Service}: failed: {Error}" + (Invalidation is null ? "" : $" (lost {Previous}: {Invalidation})"),
        AllocationOutcome.Moved => $"{Service}: moved from {Previous} to {Assignment}: {Invalidation}",
        _ => $"{Service}: {Outcome} {Assignment}",
    };
}
