using System.Collections.Immutable;

namespace BgpLb.Allocator.Ranges;

/// <summary>
/// A validated set of pools: every range of every pool sorted by address, for "which pool holds this
/// address" by binary search, and each pool's ranges in address order, for "lowest free address".
/// Ranges never overlap (validation rejects that), so an address is in at most one range.
/// </summary>
internal sealed class PoolTable
{
    private readonly PoolRange[] _byAddress;
    private readonly Dictionary<string, PoolRange[]> _byPool;
    private readonly Dictionary<string, AddressPool> _byName;

    private PoolTable(ImmutableArray<AddressPool> pools, PoolRange[] byAddress)
    {
        Pools = pools;
        _byAddress = byAddress;
        _byPool = pools.ToDictionary(
            p => p.Name,
            p => byAddress.Where(r => ReferenceEquals(r.Pool, p)).ToArray(),
            StringComparer.Ordinal);
        _byName = pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        // Auto-assignment order: pools with a serviceAllocation by priority (0 = unset sorts last), then the
        // others; MetalLB breaks ties by Go map order, which is random, so here the name decides.
        AutoAssignOrder = [.. pools
            .Where(p => p.AutoAssign)
            .OrderBy(p => p.ServiceAllocation is null ? 1 : 0)
            .ThenBy(p => p.ServiceAllocation is { Priority: > 0 } a ? a.Priority : int.MaxValue)
            .ThenBy(p => p.Name, StringComparer.Ordinal)];
    }

    public static readonly PoolTable Empty = new([], []);

    public ImmutableArray<AddressPool> Pools { get; }

    public ImmutableArray<AddressPool> AutoAssignOrder { get; }

    public IEnumerable<PoolRange> Ranges => _byAddress;

    public bool TryGetPool(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AddressPool? pool) =>
        _byName.TryGetValue(name, out pool);

    public ReadOnlySpan<PoolRange> RangesOf(string pool) =>
        _byPool.TryGetValue(pool, out var ranges) ? ranges : [];

    /// <summary>The range holding <paramref name="address"/> as a usable address (avoidBuggyIPs excludes .0 and .255).</summary>
    public PoolRange? Find(IpAddress address) =>
        FindContaining(address) is { } r && r.IsUsable(address.Value) ? r : null;

    /// <summary>The range spanning <paramref name="address"/>, usable or not: says which pool's avoidBuggyIPs excluded it.</summary>
    public PoolRange? FindContaining(IpAddress address)
    {
        int lo = 0, hi = _byAddress.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var r = _byAddress[mid];
            var c = r.Family != address.Family ? r.Family.CompareTo(address.Family) : r.First.CompareTo(address.Value);
            if (c <= 0 && r.Family == address.Family && r.Last >= address.Value)
            {
                return r;
            }
            if (c <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return null;
    }

    /// <summary>Builds the table, or says what is inconsistent: an empty or duplicate name, overlapping ranges.</summary>
    public static bool TryCreate(IEnumerable<AddressPool> pools, out PoolTable table, out AllocationError? error)
    {
        ArgumentNullException.ThrowIfNull(pools);
        table = Empty;
        error = null;
        var list = pools.ToImmutableArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pool in list)
        {
            if (string.IsNullOrEmpty(pool.Name))
            {
                error = Invalid("name", "a pool has no name");
                return false;
            }
            if (!names.Add(pool.Name))
            {
                error = Invalid("name", $"pool \"{pool.Name}\" is defined twice");
                return false;
            }
        }
        var ranges = list.SelectMany(p => p.Addresses.Select(a => new PoolRange(p, a)))
            .OrderBy(r => r.Family).ThenBy(r => r.First).ToArray();
        for (var i = 1; i < ranges.Length; i++)
        {
            var (a, b) = (ranges[i - 1], ranges[i]);
            if (a.Family == b.Family && b.First <= a.Last)
            {
                // MetalLB rejects overlapping pools too ("CIDR overlaps with already defined CIDR").
                error = Invalid("addresses", $"{b.Range} of pool \"{b.Pool.Name}\" overlaps {a.Range} of pool \"{a.Pool.Name}\"") with { Pool = b.Pool.Name };
                return false;
            }
        }
        table = new PoolTable(list, ranges);
        return true;
    }

    private static AllocationError Invalid(string field, string detail) =>
        new(AllocationErrorKind.InvalidPools) { Field = field, Detail = detail };
}
