using BgpLb.Allocator.Sharing;

namespace BgpLb.Allocator;

/// <summary>Who is on which address, whether one more may join, and which pools may serve whom.</summary>
public sealed partial class IpAllocator
{
    /// <summary>
    /// Whether <paramref name="service"/> may use <paramref name="address"/> beside everyone already on it
    /// (<paramref name="self"/>, its own earlier state, excepted). MetalLB's rules: both carry the same
    /// allow-shared-ip key, the same backend key (pods, under externalTrafficPolicy Local), and no port and
    /// protocol twice. Added here: the same namespace unless sharing across namespaces is allowed. All
    /// holders of a shared address agree on key, namespace and pods (each was checked on joining), so those
    /// are compared once, and each port is one lookup: the cost does not grow with the holders.
    /// </summary>
    private AllocationError? CheckSharing(IpAddress address, LoadBalancerService service, ServiceState? self)
    {
        if (_users.TryGetValue(address, out var lone))
        {
            return ReferenceEquals(lone, self)
                ? null
                : new AllocationError(AllocationErrorKind.AddressInUse) { Address = address, Holder = lone.Key, Detail = "it does not allow sharing" };
        }
        if (!_shared.TryGetValue(address, out var shared) || !shared.HasHoldersBesides(self))
        {
            return null;
        }
        var facts = shared.Shelf.Key;
        var sharingKey = ServiceRequest.SharingKeyOf(service);
        if (sharingKey is null)
        {
            return new AllocationError(AllocationErrorKind.AddressInUse)
            {
                Address = address,
                Holder = shared.HolderBesides(self).Key,
                Detail = "this service does not allow sharing",
            };
        }
        if (!string.Equals(facts.Key, sharingKey, StringComparison.Ordinal))
        {
            return new AllocationError(AllocationErrorKind.SharingKeyMismatch)
            {
                Address = address,
                Holder = shared.HolderBesides(self).Key,
                SharingKey = sharingKey,
                HolderSharingKey = facts.Key,
            };
        }
        // Null when sharing across namespaces is allowed.
        if (facts.Namespace is { } ns && !string.Equals(ns, service.Key.Namespace, StringComparison.Ordinal))
        {
            return new AllocationError(AllocationErrorKind.SharingAcrossNamespaces) { Address = address, Holder = shared.HolderBesides(self).Key, SharingKey = sharingKey };
        }
        if (!string.Equals(facts.Backend, ServiceRequest.BackendKeyOf(service), StringComparison.Ordinal))
        {
            return new AllocationError(AllocationErrorKind.SharingBackendMismatch) { Address = address, Holder = shared.HolderBesides(self).Key };
        }
        foreach (var port in service.Ports)
        {
            if (shared.HolderOf(port) is { } taker && !ReferenceEquals(taker, self))
            {
                return new AllocationError(AllocationErrorKind.PortConflict) { Address = address, Holder = taker.Key, Port = port };
            }
        }
        return null;
    }

    /// <summary>
    /// Whether the pool's serviceAllocation lets this Service in: its namespace listed or selected (when
    /// either is given), and its labels selected (when service selectors are given).
    /// </summary>
    private static AllocationError? NotEligible(AddressPool pool, LoadBalancerService service)
    {
        if (pool.ServiceAllocation is not { } rules)
        {
            return null;
        }
        var ns = service.Key.Namespace;
        var namespaceRuled = !rules.Namespaces.IsDefaultOrEmpty || !rules.NamespaceSelectors.IsDefaultOrEmpty;
        if (namespaceRuled
            && !rules.Namespaces.Contains(ns, StringComparer.Ordinal)
            && !rules.NamespaceSelectors.Any(s => s.Matches(service.NamespaceLabels)))
        {
            return new AllocationError(AllocationErrorKind.PoolNotEligible)
            {
                Pool = pool.Name,
                Detail = $"namespace \"{ns}\" is neither listed in its serviceAllocation.namespaces nor matched by its namespaceSelectors",
            };
        }
        if (!rules.ServiceSelectors.IsDefaultOrEmpty && !rules.ServiceSelectors.Any(s => s.Matches(service.Labels)))
        {
            return new AllocationError(AllocationErrorKind.PoolNotEligible)
            {
                Pool = pool.Name,
                Detail = $"the labels of {service.Key} match none of its serviceSelectors",
            };
        }
        return null;
    }

    /// <summary>The namespace part of a sharing group: none when sharing across namespaces is allowed.</summary>
    private string? GroupNamespace(string ns) => _options.AllowSharingAcrossNamespaces ? null : ns;

    /// <summary>
    /// Records the Service on each of its addresses: a Service without a key as the address's only user, one
    /// with a key as a holder of the shared address (created, on its shelf, by the first). The first user of
    /// an address marks it used in its range.
    /// </summary>
    private void Attach(ServiceState state)
    {
        var key = state.SharingKey;
        foreach (var address in state.Addresses)
        {
            if (key is null)
            {
                _users.Add(address, state);
                _pools.Find(address)!.MarkUsed(address.Value);
                continue;
            }
            if (!_shared.TryGetValue(address, out var shared))
            {
                var range = _pools.Find(address)!;
                var facts = new ShelfKey(GroupNamespace(state.Key.Namespace), key, ServiceRequest.BackendKeyOf(state.Service), range);
                if (!_shelves.TryGetValue(facts, out var shelf))
                {
                    _shelves.Add(facts, shelf = new ShareShelf(facts));
                }
                _shared.Add(address, shared = new SharedAddress(address, shelf));
                range.MarkUsed(address.Value);
            }
            shared.Add(state);
        }
    }

    /// <summary>Removes the Service from each of its addresses; the last user leaving frees the address.</summary>
    private void Detach(ServiceState state)
    {
        foreach (var address in state.Addresses)
        {
            if (_users.Remove(address))
            {
                _pools.Find(address)!.MarkFree(address.Value);
                continue;
            }
            var shared = _shared[address];
            shared.Remove(state);
            if (shared.Holders == 0)
            {
                _shared.Remove(address);
                var shelf = shared.Shelf;
                if (shelf.Addresses == 0)
                {
                    _shelves.Remove(shelf.Key);
                }
                shelf.Key.Range.MarkFree(address.Value);
            }
        }
    }
}
