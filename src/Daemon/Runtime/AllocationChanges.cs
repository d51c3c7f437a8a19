using BgpLb.Allocator;

namespace BgpLb.Daemon.Runtime;

/// <summary>
/// The allocation results of one apply, kept only as far as they will be reported: every one while there
/// are at most <see cref="Detailed"/> (each is logged and published), the first <see cref="Detailed"/> + 1
/// problems (logged as warnings while there are at most <see cref="Detailed"/>), and all of them only when
/// each one is going to be written at debug level. A first start of 100,000 Services otherwise held a
/// 12 MB list of results, at the start's memory peak, for one summary line.
/// </summary>
internal sealed class AllocationChanges(int detailed, bool keepAll, Action<AllocationErrorKind>? failed)
{
    private readonly List<AllocationResult> _first = [];
    private readonly List<AllocationResult> _problems = [];
    private readonly List<AllocationResult>? _all = keepAll ? [] : null;

    public int Detailed { get; } = detailed;

    /// <summary>Results added, kept or not.</summary>
    public int Count { get; private set; }

    /// <summary>Results that are problems (<see cref="IsProblem"/>), kept or not.</summary>
    public int Problems { get; private set; }

    /// <summary>At most <see cref="Detailed"/> results: every one is reported on its own.</summary>
    public bool IsDetailed => Count <= Detailed;

    /// <summary>Every result, in order; only while <see cref="IsDetailed"/>, or when made to keep all.</summary>
    public IReadOnlyList<AllocationResult>? All => _all ?? (IsDetailed ? _first : null);

    /// <summary>The problems, in order; only while there are at most <see cref="Detailed"/> of them.</summary>
    public IReadOnlyList<AllocationResult>? ProblemsOnly => Problems <= Detailed ? _problems : null;

    public static bool IsProblem(AllocationResult change) =>
        change.Outcome is AllocationOutcome.Failed or AllocationOutcome.Moved || change.Error is not null || !change.Invalidations.IsDefaultOrEmpty;

    public void Add(AllocationResult change)
    {
        Count++;
        if (_first.Count < Detailed)
        {
            _first.Add(change);
        }
        _all?.Add(change);
        if (IsProblem(change))
        {
            Problems++;
            if (_problems.Count < Detailed)
            {
                _problems.Add(change);
            }
        }
        // Metrics count every failure, however many (a pool too small for 100,000 Services fails 100,000 times).
        if (failed is not null && change.Outcome == AllocationOutcome.Failed && change.Error is { } error)
        {
            failed(error.Kind);
        }
    }

    public void AddRange(IEnumerable<AllocationResult> changes)
    {
        foreach (var change in changes)
        {
            Add(change);
        }
    }
}
