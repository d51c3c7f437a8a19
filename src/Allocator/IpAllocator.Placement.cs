using System.Collections.Immutable;
using BgpLb.Allocator.Sharing;

namespace BgpLb.Allocator;

/// <summary>Where a Service's addresses come from: requested addresses, a requested pool, or the pools in order.</summary>
public sealed partial class IpAllocator
{
    /// <summary>Finds addresses for a Service that holds none, and records them.</summary>
    private bool Place(LoadBalancerService service, ServiceRequest request, out Assignment assignment, out AllocationError? error)
    {
        assignment = default;
        ImmutableArray<IpAddress> addresses;
        AddressPool? pool;
        if (!request.RequestedAddresses.IsEmpty)
        {
            addresses = [.. request.RequestedAddresses.OrderBy(a => a)];
            error = CheckRequested(service, request, addresses, out pool);
        }
        else if (request.RequestedPool is { } name)
        {
            addresses = [];
            error = !_pools.TryGetPool(name, out pool)
                ? new AllocationError(AllocationErrorKind.UnknownPool) { Pool = name }
                : NotEligible(pool, service) ?? PickInPool(pool, service, request, out addresses, acceptPartial: request.PrefersDualStack);
        }
        else
        {
            error = PickAuto(service, request, out pool, out addresses);
        }
        if (error is not null)
        {
            return false;
        }
        var state = new ServiceState(service, pool!.Name, addresses);
        _services.Add(service.Key, state);
        Attach(state);
        assignment = state.Assignment;
        return true;
    }

    private AllocationError? CheckRequested(LoadBalancerService service, ServiceRequest request, ImmutableArray<IpAddress> addresses, out AddressPool? pool)
    {
        pool = null;
        foreach (var address in addresses)
        {
            var range = _pools.Find(address);
            if (range is null)
            {
                return NotInAnyPool(address);
            }
            if (request.RequestedPool is { } wanted && !string.Equals(wanted, range.Pool.Name, StringComparison.Ordinal))
            {
                return _pools.TryGetPool(wanted, out _)
                    ? new AllocationError(AllocationErrorKind.RequestedPoolMismatch) { Address = address, Pool = wanted, Detail = range.Pool.Name }
                    : new AllocationError(AllocationErrorKind.UnknownPool) { Pool = wanted };
            }
        }
        var holding = Check(service, addresses, request, self: null);
        pool = holding.Pool;
        return holding.Lost.IsEmpty ? null : holding.Lost[0];
    }

    /// <summary>
    /// The pools that auto-assign and may serve this Service, in order, and the first that has every family
    /// it needs. PreferDualStack falls back, as in MetalLB, to the first pool with the primary family, then
    /// to the first with the other one.
    /// </summary>
    private AllocationError? PickAuto(LoadBalancerService service, ServiceRequest request, out AddressPool? pool, out ImmutableArray<IpAddress> addresses)
    {
        pool = null;
        addresses = [];
        ImmutableArray<AllocationError>.Builder? causes = null;
        (AddressPool Pool, IpAddress Address)? primary = null, secondary = null;
        var tried = 0;
        foreach (var candidate in _pools.AutoAssignOrder)
        {
            if (NotEligible(candidate, service) is not null)
            {
                continue;
            }
            tried++;
            var error = PickInPool(candidate, service, request, out var picked, acceptPartial: false);
            if (error is null)
            {
                pool = candidate;
                addresses = picked;
                return null;
            }
            if (error is not null)
            {
                (causes ??= ImmutableArray.CreateBuilder<AllocationError>()).Add(error);
            }
            foreach (var address in picked)
            {
                if (address.Family == request.Families[0])
                {
                    primary ??= (candidate, address);
                }
                else
                {
                    secondary ??= (candidate, address);
                }
            }
        }
        if ((primary ?? secondary) is { } fallback && request.PrefersDualStack)
        {
            pool = fallback.Pool;
            addresses = [fallback.Address];
            return null;
        }
        if (tried == 0)
        {
            return new AllocationError(AllocationErrorKind.NoEligiblePool)
            {
                Detail = _pools.AutoAssignOrder.IsEmpty
                    ? "no pool has autoAssign"
                    : $"the serviceAllocation of every auto-assigning pool excludes {service.Key}",
            };
        }
        return causes!.Count == 1 ? causes[0] : new AllocationError(AllocationErrorKind.NoAddressAvailable) { Causes = causes.ToImmutable() };
    }

    /// <summary>
    /// One address per family the Service needs from <paramref name="pool"/>; what was found is returned even
    /// when a family was not. With <paramref name="acceptPartial"/> (PreferDualStack in a named pool) one
    /// family is success enough.
    /// </summary>
    private AllocationError? PickInPool(AddressPool pool, LoadBalancerService service, ServiceRequest request, out ImmutableArray<IpAddress> addresses, bool acceptPartial)
    {
        // Single stack, the common case: one array, no builder.
        if (request.Families.Length == 1)
        {
            var found = TryPick(pool, request.Families[0], service, request, out var only, out var error);
            addresses = found ? [only] : [];
            return error;
        }
        var hasFirst = TryPick(pool, request.Families[0], service, request, out var first, out var firstError);
        var hasSecond = TryPick(pool, request.Families[1], service, request, out var second, out var secondError);
        addresses = (hasFirst, hasSecond) switch
        {
            (true, true) => first < second ? [first, second] : [second, first],
            (true, false) => [first],
            (false, true) => [second],
            _ => [],
        };
        if ((hasFirst && hasSecond) || (acceptPartial && (hasFirst || hasSecond)))
        {
            return null;
        }
        return firstError ?? secondError;
    }

    /// <summary>
    /// The lowest address of <paramref name="family"/> in <paramref name="pool"/> that this Service may take:
    /// the lowest free one, or a lower one already used under the same sharing key that it may join
    /// (MetalLB walks the pool upwards and takes the first address either free or legally shared).
    /// </summary>
    private bool TryPick(AddressPool pool, IpFamily family, LoadBalancerService service, ServiceRequest request, out IpAddress address, out AllocationError? error)
    {
        address = default;
        error = null;
        var found = false;
        var hasFamily = false;
        UInt128 capacity = 0;
        foreach (var range in _pools.RangesOf(pool.Name))
        {
            if (range.Family != family)
            {
                continue;
            }
            hasFamily = true;
            capacity = UInt128.MaxValue - capacity < range.Capacity ? UInt128.MaxValue : capacity + range.Capacity;
            if (!found && range.TryLowestFree(out var free))
            {
                address = new IpAddress(family, free);
                found = true;
            }
        }
        if (request.SharingKey is { } key)
        {
            // Only shelves this Service could join (its key, namespace and pods) in the pool's ranges of the family.
            var ns = GroupNamespace(service.Key.Namespace);
            foreach (var range in _pools.RangesOf(pool.Name))
            {
                if (range.Family == family
                    && _shelves.TryGetValue(new ShelfKey(ns, key, request.BackendKey, range), out var shelf)
                    && shelf.LowestFreeFor(service.Ports) is { } shared
                    && (!found || shared.Address < address))
                {
                    address = shared.Address;
                    found = true;
                }
            }
        }
        if (found)
        {
            return true;
        }
        error = hasFamily
            ? new AllocationError(AllocationErrorKind.PoolExhausted) { Pool = pool.Name, Family = family, PoolSize = capacity }
            : new AllocationError(AllocationErrorKind.FamilyNotAvailable) { Pool = pool.Name, Family = family };
        return false;
    }

    /// <summary>Why <paramref name="address"/> has no range: outside every pool, or excluded by its pool's avoidBuggyIPs.</summary>
    private AllocationError NotInAnyPool(IpAddress address) =>
        _pools.FindContaining(address) is { } avoided
            ? new AllocationError(AllocationErrorKind.AddressAvoided) { Address = address, Pool = avoided.Pool.Name }
            : new AllocationError(AllocationErrorKind.AddressNotInAnyPool) { Address = address };

}
