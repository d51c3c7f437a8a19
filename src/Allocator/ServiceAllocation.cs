using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// A pool's <c>serviceAllocation</c>: which Services may take addresses from it, and in which order
/// pools are tried. <see cref="Priority"/> 0 means "not set" and sorts after every set priority, as in MetalLB.
/// </summary>
public sealed record ServiceAllocation
{
    public int Priority { get; init; }

    public ImmutableArray<string> Namespaces { get; init; } = [];

    public ImmutableArray<LabelSelector> NamespaceSelectors { get; init; } = [];

    public ImmutableArray<LabelSelector> ServiceSelectors { get; init; } = [];
}
