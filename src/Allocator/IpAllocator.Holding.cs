using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// What a Service may keep of what it holds, address by address, and how a Service that kept part of it is
/// completed: a working address never goes because its sibling of the other family had to.
/// </summary>
public sealed partial class IpAllocator
{
    /// <summary>Of the addresses a Service holds, those it may keep (all in <see cref="Pool"/>) and, for each other one, why not.</summary>
    private readonly record struct Holding(AddressPool? Pool, ImmutableArray<IpAddress> Kept, ImmutableArray<AllocationError> Lost);

    /// <summary>
    /// Which of <paramref name="held"/> the Service may keep: each must lie in a pool that may serve it (the
    /// same pool for both), match its request when there is one, and share legally with everyone else on it
    /// (<paramref name="self"/>, its own earlier state, excepted). Each lost address is named, with its family,
    /// in its error.
    /// </summary>
    private Holding Check(LoadBalancerService service, ImmutableArray<IpAddress> held, ServiceRequest? request, ServiceState? self)
    {
        AddressPool? pool = null;
        // The primary family first: if both could stay alone but not together (their ranges are now in two
        // pools), the one the Service lists first stays.
        var primaryLast = held.Length == 2 && request is { } r && held[1].Family == r.Families[0];
        AllocationError? lostFirst = null, lostSecond = null;
        for (var n = 0; n < held.Length; n++)
        {
            var i = primaryLast ? held.Length - 1 - n : n;
            var why = CheckAddress(service, held[i], held, request, self, ref pool);
            if (why is not null)
            {
                why = why with { Address = held[i], Family = held[i].Family };
                if (n == 0)
                {
                    lostFirst = why;
                }
                else
                {
                    lostSecond = why;
                }
            }
        }
        if (lostFirst is null && lostSecond is null)
        {
            return new Holding(pool, held, []);
        }
        return Partly(pool, held, lostFirst is null ? [lostSecond!] : lostSecond is null ? [lostFirst] : [lostFirst, lostSecond]);
    }

    // Apart from Check, whose closure-free path runs on every Ensure: a lambda's captures are allocated on
    // entry to the scope that declares them.
    private static Holding Partly(AddressPool? pool, ImmutableArray<IpAddress> held, ImmutableArray<AllocationError> lost) =>
        new(pool, [.. held.Where(a => !lost.Any(e => e.Address == a))], lost);

    /// <summary>
    /// Whether <paramref name="service"/> may hold <paramref name="address"/> (one of <paramref name="held"/>),
    /// in <paramref name="pool"/> if that is already decided; on success, <paramref name="pool"/> is its pool.
    /// </summary>
    private AllocationError? CheckAddress(
        LoadBalancerService service, IpAddress address, ImmutableArray<IpAddress> held, ServiceRequest? request, ServiceState? self, ref AddressPool? pool)
    {
        var range = _pools.Find(address);
        if (range is null)
        {
            return NotInAnyPool(address);
        }
        if (pool is not null && !ReferenceEquals(pool, range.Pool))
        {
            return new AllocationError(AllocationErrorKind.PoolNotEligible)
            {
                Pool = range.Pool.Name,
                Address = address,
                Detail = $"the service's addresses are in two pools, \"{pool.Name}\" and \"{range.Pool.Name}\"",
            };
        }
        if (NotEligible(range.Pool, service) is { } notEligible)
        {
            return notEligible;
        }
        if (request is { } r)
        {
            if (!r.RequestedAddresses.IsEmpty && !r.RequestedAddresses.Contains(address))
            {
                return new AllocationError(AllocationErrorKind.RequestChanged) { Detail = RequestedInstead(r.RequestedAddresses, address) };
            }
            if (r.RequestedPool is { } wanted && !string.Equals(wanted, range.Pool.Name, StringComparison.Ordinal))
            {
                return new AllocationError(AllocationErrorKind.RequestChanged) { Pool = wanted, Detail = $"pool \"{wanted}\" instead of \"{range.Pool.Name}\"" };
            }
            if (!r.Families.Contains(address.Family))
            {
                return new AllocationError(AllocationErrorKind.RequestChanged) { Detail = $"families {string.Join(",", r.Families)} instead of {string.Join(",", held.Select(a => a.Family))}" };
            }
        }
        if (CheckSharing(address, service, self) is { } conflict)
        {
            return conflict;
        }
        pool = range.Pool;
        return null;
    }

    /// <summary>"the service now requests …": the requested address of the same family, or the whole request when it has none of that family.</summary>
    private static string RequestedInstead(ImmutableArray<IpAddress> requested, IpAddress held)
    {
        foreach (var wanted in requested)
        {
            if (wanted.Family == held.Family)
            {
                return $"{wanted} instead of {held}";
            }
        }
        return $"{string.Join(",", requested)}, without {held}";
    }

    /// <summary>
    /// A Service that holds (part of) what it may: add the family it lacks, from the pool it holds from (or
    /// the address it requests), and report. <paramref name="lost"/> are the addresses it just gave up; any
    /// change comes with <see cref="AllocationResult.Previous"/>. A family that cannot be added is not a
    /// failure of the Service, which keeps what it has: the reason is in <see cref="AllocationResult.Error"/>.
    /// </summary>
    private AllocationResult Complete(ServiceState state, ServiceRequest request, AddressPool pool, Assignment previous, ImmutableArray<AllocationError> lost)
    {
        AllocationError? error = null;
        var added = MissingFamily(request, state.Addresses) is { } family && TryAddFamily(state, request, pool, family, out error);
        var outcome = added ? lost.IsEmpty ? AllocationOutcome.Extended : AllocationOutcome.Moved : AllocationOutcome.Kept;
        var result = new AllocationResult(state.Key, outcome) { Assignment = state.Assignment, Error = error };
        return added || !lost.IsEmpty ? result with { Previous = previous, Invalidations = lost } : result;
    }

    /// <summary>The first family the Service wants (its requested addresses', or its families) that it does not hold.</summary>
    private static IpFamily? MissingFamily(ServiceRequest request, ImmutableArray<IpAddress> held)
    {
        // Loops, not lambdas: this runs on every Ensure, which should allocate nothing it does not return.
        if (!request.RequestedAddresses.IsEmpty)
        {
            foreach (var wanted in request.RequestedAddresses)
            {
                if (!Holds(held, wanted.Family))
                {
                    return wanted.Family;
                }
            }
            return null;
        }
        foreach (var family in request.Families)
        {
            if (!Holds(held, family))
            {
                return family;
            }
        }
        return null;
    }

    private static bool Holds(ImmutableArray<IpAddress> held, IpFamily family)
    {
        foreach (var address in held)
        {
            if (address.Family == family)
            {
                return true;
            }
        }
        return false;
    }

    private bool TryAddFamily(ServiceState state, ServiceRequest request, AddressPool pool, IpFamily family, out AllocationError? error)
    {
        IpAddress added = default;
        var requested = false;
        foreach (var wanted in request.RequestedAddresses)
        {
            if (wanted.Family == family)
            {
                added = wanted;
                requested = true;
            }
        }
        if (requested)
        {
            AddressPool? samePool = pool;
            error = CheckAddress(state.Service, added, [added], request, state, ref samePool);
            if (error is not null)
            {
                error = error with { Address = added, Family = family };
                return false;
            }
        }
        else if (!TryPick(pool, family, state.Service, request, out added, out error))
        {
            return false;
        }
        Detach(state);
        var kept = state.Addresses[0];
        state.Addresses = kept < added ? [kept, added] : [added, kept];
        Attach(state);
        return true;
    }

    /// <summary>The Service lost every address: place it afresh and report the move or the loss, naming what it lost.</summary>
    private AllocationResult Replace(ServiceState old, Assignment previous, ImmutableArray<AllocationError> lost)
    {
        if (!ServiceRequest.TryRead(old.Service, out var request, out var unreadable))
        {
            return Failed(old.Key, unreadable!) with { Previous = previous, Invalidations = lost };
        }
        return Place(old.Service, request, out var assignment, out var error)
            ? new AllocationResult(old.Key, AllocationOutcome.Moved) { Assignment = assignment, Previous = previous, Invalidations = lost }
            : Failed(old.Key, error!) with { Previous = previous, Invalidations = lost };
    }

    /// <summary>After a pool edit, a Service that kept part of what it held (still attached): complete it if its request can be read.</summary>
    private AllocationResult CompleteAfterEdit(ServiceState state, Assignment previous, ImmutableArray<AllocationError> lost)
    {
        if (!ServiceRequest.TryRead(state.Service, out var request, out var unreadable))
        {
            return new AllocationResult(state.Key, AllocationOutcome.Kept) { Assignment = state.Assignment, Previous = previous, Invalidations = lost, Error = unreadable };
        }
        _pools.TryGetPool(state.Pool, out var pool);
        return Complete(state, request, pool!, previous, lost);
    }
}
