using System.Collections.Immutable;
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
    public ImmutableArray<Assignment> Assignments =>
        [.. _services.Values.Select(s => s.Assignment).OrderBy(a => a.Service)];

    /// <summary>The Service as last accepted (tests check sharing against what the allocator saw).</summary>
    internal LoadBalancerService? ServiceOf(ServiceKey service) =>
        _services.TryGetValue(service, out var state) ? state.Service : null;

    public Assignment? GetAssignment(ServiceKey service) =>
        _services.TryGetValue(service, out var state) ? state.Assignment : null;

    /// <summary>
    /// Replaces the pools. Inconsistent pools (duplicate names, overlapping ranges) are rejected whole and
    /// the old ones stay. Otherwise every assignment still inside a pool that may serve its Service stays
    /// (even if the pool was renamed or reordered); each other Service is moved or left without an address,
    /// and the result says which and why.
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
        var invalid = new List<(ServiceState State, AllocationError Why)>();
        // Service order, so which of two Services keeps a contested address never depends on hashing.
        foreach (var state in _services.Values.OrderBy(s => s.Key).ToList())
        {
            var hasRequest = ServiceRequest.TryRead(state.Service, out var request, out _);
            var why = CheckHolding(state.Service, state.Addresses, hasRequest ? request : null, out var pool);
            if (why is not null)
            {
                invalid.Add((state, why));
                continue;
            }
            var before = state.Assignment;
            state.Pool = pool!.Name;
            Attach(state);
            if (!string.Equals(before.Pool, state.Pool, StringComparison.Ordinal))
            {
                changes.Add(new AllocationResult(state.Key, AllocationOutcome.Kept) { Assignment = state.Assignment, Previous = before });
            }
        }
        foreach (var (state, why) in invalid)
        {
            _services.Remove(state.Key);
            changes.Add(Replace(state, why));
        }
        return new PoolUpdate(null, changes.ToImmutable());
    }

    /// <summary>
    /// Takes back an assignment from before a restart, as long as the addresses are still in one pool that
    /// may serve the Service and do not collide with what was restored before. It does not compare with
    /// what the Service requests now: the <see cref="Ensure"/> that follows does, and reports any move.
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
        var why = CheckHolding(service, held, null, out var pool);
        if (why is not null)
        {
            return Failed(service.Key, why);
        }
        var state = new ServiceState(service, pool!.Name, held);
        _services.Add(service.Key, state);
        Attach(state);
        return new AllocationResult(service.Key, AllocationOutcome.Restored) { Assignment = state.Assignment };
    }

    /// <summary>
    /// Brings one Service to what it asks for. What it holds and may still hold, it keeps; if that became
    /// invalid (request changed, pool shrank, sharing now conflicts) it is moved and the result says why;
    /// if it holds nothing, it gets the lowest free address of the first pool that can serve it.
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
        var why = CheckHolding(service, state.Addresses, request, out var pool, state);
        if (why is not null)
        {
            Detach(state);
            _services.Remove(service.Key);
            state.Service = service;
            return Replace(state, why);
        }
        Update(state, service, pool!);
        return request.PrefersDualStack && state.Addresses.Length == 1 && request.RequestedAddresses.IsEmpty
            ? Extend(state, request)
            : new AllocationResult(service.Key, AllocationOutcome.Kept) { Assignment = state.Assignment };
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

    /// <summary>The Service lost its addresses for <paramref name="why"/>: place it afresh and report the move or the loss.</summary>
    private AllocationResult Replace(ServiceState old, AllocationError why)
    {
        var previous = old.Assignment;
        if (!ServiceRequest.TryRead(old.Service, out var request, out var unreadable))
        {
            return Failed(old.Key, unreadable!) with { Previous = previous, Invalidation = why };
        }
        if (Salvage(old, request, why) is { } salvaged)
        {
            return salvaged;
        }
        return Place(old.Service, request, out var assignment, out var error)
            ? new AllocationResult(old.Key, AllocationOutcome.Moved) { Assignment = assignment, Previous = previous, Invalidation = why }
            : Failed(old.Key, error!) with { Previous = previous, Invalidation = why };
    }

    /// <summary>
    /// A dual-stack holding of which one address is still valid (its range left, or the Service went single
    /// stack): keep that address and re-place only the other family, in the same pool, so a working VIP never
    /// moves because its sibling did. Null when neither address may stay on its own.
    /// </summary>
    private AllocationResult? Salvage(ServiceState old, ServiceRequest request, AllocationError why)
    {
        // Requested addresses are re-checked whole: one of two requested addresses changing is a new request.
        if (old.Addresses.Length != 2 || !request.RequestedAddresses.IsEmpty)
        {
            return null;
        }
        var previous = old.Assignment;
        // The primary family first: if both could stay alone, the one the Service lists first is kept.
        foreach (var kept in old.Addresses.OrderBy(a => a.Family == request.Families[0] ? 0 : 1))
        {
            if (!request.Families.Contains(kept.Family)
                || CheckHolding(old.Service, [kept], request, out var pool, partial: true) is not null)
            {
                continue;
            }
            var state = new ServiceState(old.Service, pool!.Name, [kept]);
            _services.Add(state.Key, state);
            Attach(state);
            if (request.Families.Length == 1)
            {
                return new AllocationResult(state.Key, AllocationOutcome.Kept) { Assignment = state.Assignment, Previous = previous, Invalidation = why };
            }
            var missing = request.Families.First(f => f != kept.Family);
            if (TryPick(pool, missing, state.Service, request, out var added, out _))
            {
                Detach(state);
                state.Addresses = kept < added ? [kept, added] : [added, kept];
                Attach(state);
                return new AllocationResult(state.Key, AllocationOutcome.Moved) { Assignment = state.Assignment, Previous = previous, Invalidation = why };
            }
            if (request.PrefersDualStack)
            {
                return new AllocationResult(state.Key, AllocationOutcome.Kept) { Assignment = state.Assignment, Previous = previous, Invalidation = why };
            }
            // RequireDualStack and the pool has no address of the other family: the whole Service must move.
            Detach(state);
            _services.Remove(state.Key);
            return null;
        }
        return null;
    }

    /// <summary>The Service still holds its addresses: take its new ports, labels and keys.</summary>
    private void Update(ServiceState state, LoadBalancerService service, AddressPool pool)
    {
        // A Service with a key re-attaches even under the same key: its ports or pods decide its addresses' buckets.
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

    /// <summary>PreferDualStack with one address: add the other family from the same pool if it has one free.</summary>
    private AllocationResult Extend(ServiceState state, ServiceRequest request)
    {
        var missing = request.Families.First(f => f != state.Addresses[0].Family);
        var kept = new AllocationResult(state.Key, AllocationOutcome.Kept) { Assignment = state.Assignment };
        if (!_pools.TryGetPool(state.Pool, out var pool))
        {
            return kept;
        }
        if (!TryPick(pool, missing, state.Service, request, out var added, out var error))
        {
            // Not a failure: the Service has what it needs; the reason is there for the curious.
            return kept with { Error = error };
        }
        var previous = state.Assignment;
        Detach(state);
        state.Addresses = [.. state.Addresses.Add(added).OrderBy(a => a)];
        Attach(state);
        return new AllocationResult(state.Key, AllocationOutcome.Extended) { Assignment = state.Assignment, Previous = previous };
    }

    /// <summary>Distinct and in order; a single address (the usual restore) is taken as it comes, without copying.</summary>
    private static ImmutableArray<IpAddress> Normalise(ImmutableArray<IpAddress> addresses) =>
        addresses.IsDefault ? [] : addresses.Length == 1 ? addresses : [.. addresses.Distinct().Order()];

    private static AllocationResult Failed(ServiceKey service, AllocationError error) =>
        new(service, AllocationOutcome.Failed) { Error = error };

    private static AllocationError Invalid(string field, string detail) =>
        new(AllocationErrorKind.InvalidRequest) { Field = field, Detail = detail };
}
