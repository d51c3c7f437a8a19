using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>An IPAddressPool: named ranges of both families, already parsed and validated by the model.</summary>
public sealed record AddressPool(string Name, ImmutableArray<AddressRange> Addresses)
{
    /// <summary>false: only Services that name this pool or one of its addresses get an address from it.</summary>
    public bool AutoAssign { get; init; } = true;

    /// <summary>Skip IPv4 addresses ending in .0 or .255, which some consumer firmware drops as broadcast.</summary>
    public bool AvoidBuggyIPs { get; init; }

    public ServiceAllocation? ServiceAllocation { get; init; }
}
