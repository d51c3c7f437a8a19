using System.Collections.Immutable;
using System.Runtime.InteropServices;
using BgpLb.Allocator.Ranges;
using BgpLb.Allocator.Sharing;

namespace BgpLb.Allocator;

/// <summary>
/// Decides which Service gets which external addresses. Pure: pools and Services in, assignments and typed
/// reasons out; no Kubernetes types, no I/O, no clock. Not thread-safe: one owner calls it.
/// <para>
/// Startup: <see cref="SetPools"/>, then <see cref="Restore"/> every assignment the previous run left
/// (they win over new requests), then <see cref="Ensure"/> every Service. After that, <see cref="Ensure"/>
/// on add and update, <see cref="Release"/> on delete, <see cref="SetPools"/> on a pool edit.
/// </para>
/// <para>
/// Cost: an address is found in O(log n) in the number of allocations (runs of used addresses per range,
/// plus a binary search over ranges); pools are never materialised, so an IPv6 /64 costs what a /30 does.
/// </para>
/// </summary>
public sealed partial class IpAllocator
{
    private readonly AllocatorOptions _options;
    private readonly Dictionary<ServiceKey, ServiceState> _services;

    // Addresses in use by a Service without a sharing key (so by it alone).
    private readonly Dictionary<IpAddress, ServiceState> _users;

    // Addresses in use under a sharing key, and the shelves that index them by what a newcomer must match
    // (key, namespace, pods, range), so that a Service with a key looks only where it could join.
    private readonly Dictionary<IpAddress, SharedAddress> _shared = [];
    private readonly Dictionary<ShelfKey, ShareShelf> _shelves = [];

    private PoolTable _pools = PoolTable.Empty;

    public IpAllocator(AllocatorOptions? options = null)
    {
        _options = options ?? new AllocatorOptions();
        _services = new Dictionary<ServiceKey, ServiceState>(_options.CapacityHint);
        _users = new Dictionary<IpAddress, ServiceState>(_options.CapacityHint);
    }

    public ImmutableArray<AddressPool> Pools => _pools.Pools;

    /// <summary>Sizes the tables for <paramref name="services"/> Services at once (say, the count in the state file before a restore).</summary>
    public void EnsureCapacity(int services)
    {
        _services.EnsureCapacity(services);
        _users.EnsureCapacity(services);
    }

    /// <summary>Services holding addresses.</summary>
    public int Count => _services.Count;

    /// <summary>Every assignment, in Service order.</summary>
    public ImmutableArray<Assignment> Assignments
    {
        get
        {
            // One array of the exact size, sorted in place: OrderBy's buffer, keys and index map were three
            // more arrays of 100,000 at the start's memory peak.
            var assignments = new Assignment[_services.Count];
            var next = 0;
            foreach (var state in _services.Values)
            {
                assignments[next++] = state.Assignment;
            }
            Array.Sort(assignments, static (a, b) => a.Service.CompareTo(b.Service));
            return ImmutableCollectionsMarshal.AsImmutableArray(assignments);
        }
    }

    /// <summary>The Service as last accepted (tests check sharing against what the allocator saw).</summary>
    internal LoadBalancerService? ServiceOf(ServiceKey service) =>
        _services.TryGetValue(service, out var state) ? state.Service : null;

    /// <summary>Whether <paramref name="address"/> is held under a sharing key (by one Service or several).</summary>
    public bool IsShared(IpAddress address) => _shared.ContainsKey(address);

    public Assignment? GetAssignment(ServiceKey service) =>
        _services.TryGetValue(service, out var state) ? state.Assignment : null;

    /// <summary>
    /// Replaces the pools. Inconsistent pools (duplicate names, overlapping ranges) are rejected whole and
    /// the old ones stay. Otherwise every address still inside a pool that may serve its Service stays
    /// (even if the pool was renamed or reordered), each address on its own: a dual-stack Service whose IPv6
    /// range left keeps its IPv4 address. Every Service that lost an address is in the result, with each
    /// lost address and why (<see cref="AllocationResult.Invalidations"/>), and what it holds now.
    /// </summary>
    public PoolUpdate SetPools(IEnumerable<AddressPool> pools)
    {
        if (!PoolTable.TryCreate(pools, out var table, out var error))
        {
            return new PoolUpdate(error, []);
        }
        _pools = table;
        _users.Clear();
        _shared.Clear();
        _shelves.Clear();
        var changes = ImmutableArray.CreateBuilder<AllocationResult>();
        var invalid = new List<(ServiceState State, Assignment Previous, ImmutableArray<AllocationError> Lost, bool KeptSome)>();
        // Service order, so which of two Services keeps a contested address never depends on hashing. What
        // stays is attached before anyone lost is re-placed, so a re-placement never takes a kept address.
        foreach (var state in _services.Values.OrderBy(s => s.Key).ToList())
        {
            var hasRequest = ServiceRequest.TryRead(state.Service, out var request, out _);
            var holding = Check(state.Service, state.Addresses, hasRequest ? request : null, self: null);
            var previous = state.Assignment;
            if (holding.Kept.IsEmpty)
            {
                _services.Remove(state.Key);
                invalid.Add((state, previous, holding.Lost, false));
                continue;
            }
            state.Pool = holding.Pool!.Name;
            state.Addresses = holding.Kept;
            Attach(state);
            if (!holding.Lost.IsEmpty)
            {
                invalid.Add((state, previous, holding.Lost, true));
            }
            else if (!string.Equals(previous.Pool, state.Pool, StringComparison.Ordinal))
            {
                changes.Add(new AllocationResult(state.Key, AllocationOutcome.Kept) { Assignment = state.Assignment, Previous = previous });
            }
        }
        foreach (var (state, previous, lost, keptSome) in invalid)
        {
            changes.Add(keptSome ? CompleteAfterEdit(state, previous, lost) : Replace(state, previous, lost));
        }
        return new PoolUpdate(null, changes.ToImmutable());
    }

    /// <summary>
    /// Takes back an assignment from before a restart: each address that is still in a pool that may serve
    /// the Service (both in one pool) and does not collide with what was restored before. It does not compare
    /// with what the Service requests now: the <see cref="Ensure"/> that follows does, and reports any move.
    /// An address that cannot come back is named in <see cref="AllocationResult.Invalidations"/>; the others
    /// are restored all the same.
    /// </summary>
    public AllocationResult Restore(LoadBalancerService service, ImmutableArray<IpAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!IsOurs(service))
        {
            return new AllocationResult(service.Key, AllocationOutcome.NotOurs);
        }
        var held = Normalise(addresses);
        if (_services.TryGetValue(service.Key, out var existing))
        {
            var current = existing.Assignment;
            return current.Addresses.AsSpan().SequenceEqual(held.AsSpan())
                ? new AllocationResult(service.Key, AllocationOutcome.Restored) { Assignment = current }
                : new AllocationResult(service.Key, AllocationOutcome.Kept)
                {
                    Assignment = current,
                    Error = Invalid("restore", $"{service.Key} already holds {string.Join(",", current.Addresses)}"),
                };
        }
        if (held.IsEmpty || held.Length > 2 || (held.Length == 2 && held[0].Family == held[1].Family))
        {
            return Failed(service.Key, Invalid("restore", $"\"{string.Join(",", held)}\": one or two addresses, at most one per family"));
        }
        var holding = Check(service, held, null, self: null);
        if (holding.Kept.IsEmpty)
        {
            return Failed(service.Key, holding.Lost[0]) with { Invalidations = holding.Lost };
        }
        var state = new ServiceState(service, holding.Pool!.Name, holding.Kept);
        _services.Add(service.Key, state);
        Attach(state);
        var restored = new AllocationResult(service.Key, AllocationOutcome.Restored) { Assignment = state.Assignment };
        return holding.Lost.IsEmpty
            ? restored
            : restored with { Previous = state.Assignment with { Addresses = held }, Invalidations = holding.Lost };
    }

    /// <summary>
    /// Brings one Service to what it asks for. What it holds and may still hold, it keeps, address by address;
    /// an address that became invalid (request changed, pool shrank, sharing now conflicts) is given up and
    /// the result names it and says why; a family it lacks is added from the pool it holds from (or the
    /// address it requests); if it holds nothing, it gets the lowest free address of the first pool that can
    /// serve it.
    /// </summary>
    public AllocationResult Ensure(LoadBalancerService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _services.TryGetValue(service.Key, out var state);
        if (!IsOurs(service))
        {
            return state is null ? new AllocationResult(service.Key, AllocationOutcome.NotOurs) : Release(service.Key);
        }
        if (!ServiceRequest.TryRead(service, out var request, out var unreadable))
        {
            // A typo in an annotation must not take a working address away: keep it, and say what is wrong.
            return state is null
                ? Failed(service.Key, unreadable!)
                : new AllocationResult(service.Key, AllocationOutcome.Kept) { Assignment = state.Assignment, Error = unreadable };
        }
        if (state is null)
        {
            return Place(service, request, out var assignment, out var error)
                ? new AllocationResult(service.Key, AllocationOutcome.Assigned) { Assignment = assignment }
                : Failed(service.Key, error!);
        }
        var holding = Check(service, state.Addresses, request, state);
        var previous = state.Assignment;
        if (holding.Lost.IsEmpty)
        {
            Update(state, service, holding.Pool!);
            return Complete(state, request, holding.Pool!, previous, []);
        }
        Detach(state);
        state.Service = service;
        if (holding.Kept.IsEmpty)
        {
            _services.Remove(service.Key);
            return Replace(state, previous, holding.Lost);
        }
        state.Pool = holding.Pool!.Name;
        state.Addresses = holding.Kept;
        Attach(state);
        return Complete(state, request, holding.Pool, previous, holding.Lost);
    }

    /// <summary>Gives back whatever the Service holds (it was deleted, or stopped being a LoadBalancer).</summary>
    public AllocationResult Release(ServiceKey service)
    {
        if (!_services.Remove(service, out var state))
        {
            return new AllocationResult(service, AllocationOutcome.Released);
        }
        Detach(state);
        return new AllocationResult(service, AllocationOutcome.Released) { Previous = state.Assignment };
    }

    /// <summary>In use and available per family, for every pool in configuration order.</summary>
    public ImmutableArray<PoolStatus> Status() => [.. _pools.Pools.Select(p => StatusOf(p.Name)!)];

    public PoolStatus? StatusOf(string pool)
    {
        if (!_pools.TryGetPool(pool, out _))
        {
            return null;
        }
        UInt128 v4Used = 0, v4Free = 0, v6Used = 0, v6Free = 0;
        foreach (var range in _pools.RangesOf(pool))
        {
            if (range.Family == IpFamily.IPv4)
            {
                v4Used += range.InUse;
                v4Free += range.Available;
            }
            else
            {
                v6Used += range.InUse;
                // Saturate: a pool of several /0s would overflow, and "more than anyone can use" is the truth.
                v6Free = UInt128.MaxValue - v6Free < range.Available ? UInt128.MaxValue : v6Free + range.Available;
            }
        }
        return new PoolStatus(pool, v4Used, v4Free, v6Used, v6Free);
    }

    private bool IsOurs(LoadBalancerService service) =>
        service.LoadBalancerClass is null
            ? _options.IsDefaultClass
            : string.Equals(service.LoadBalancerClass, _options.LoadBalancerClass, StringComparison.Ordinal);

    /// <summary>The Service still holds its addresses: take its new ports, labels and keys.</summary>
    private void Update(ServiceState state, LoadBalancerService service, AddressPool pool)
    {
        // A Service with a key re-attaches even under the same key: its ports are indexed on its shared
        // addresses, and its pods decide their shelf.
        var regroup = state.SharingKey is not null
            || !string.Equals(ServiceRequest.SharingKeyOf(service), state.SharingKey, StringComparison.Ordinal);
        if (regroup)
        {
            Detach(state);
        }
        state.Service = service;
        state.Pool = pool.Name;
        if (regroup)
        {
            Attach(state);
        }
    }

    /// <summary>Distinct and in order; a single address (the usual restore) is taken as it comes, without copying.</summary>
    private static ImmutableArray<IpAddress> Normalise(ImmutableArray<IpAddress> addresses) =>
        addresses.IsDefault ? [] : addresses.Length == 1 ? addresses : [.. addresses.Distinct().Order()];

    private static AllocationResult Failed(ServiceKey service, AllocationError error) =>
        new(service, AllocationOutcome.Failed) { Error = error };

    private static AllocationError Invalid(string field, string detail) =>
        new(AllocationErrorKind.InvalidRequest) { Field = field, Detail = detail };
}
