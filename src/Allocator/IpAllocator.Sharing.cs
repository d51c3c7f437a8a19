namespace BgpLb.Allocator;

/// <summary>Who is on which address, whether one more may join, and which pools may serve whom.</summary>
public sealed partial class IpAllocator
{
    /// <summary>
    /// Whether <paramref name="service"/> may use <paramref name="address"/> beside everyone already on it
    /// (<paramref name="self"/>, its own earlier state, excepted). MetalLB's rules: both carry the same
    /// allow-shared-ip key, the same backend key (pods, under externalTrafficPolicy Local), and no port and
    /// protocol twice. Added here: the same namespace unless sharing across namespaces is allowed.
    /// </summary>
    private AllocationError? CheckSharing(IpAddress address, LoadBalancerService service, ServiceState? self)
    {
        if (!_users.TryGetValue(address, out var holder))
        {
            return null;
        }
        var sharingKey = ServiceRequest.SharingKeyOf(service);
        string? backendKey = null;
        var backendKnown = false;
        for (; holder is not null; holder = holder.Next(address.Family))
        {
            if (ReferenceEquals(holder, self))
            {
                continue;
            }
            if (holder.SharingKey is null || sharingKey is null)
            {
                return new AllocationError(AllocationErrorKind.AddressInUse)
                {
                    Address = address,
                    Holder = holder.Key,
                    Detail = holder.SharingKey is null ? "it does not allow sharing" : "this service does not allow sharing",
                };
            }
            if (!string.Equals(holder.SharingKey, sharingKey, StringComparison.Ordinal))
            {
                return new AllocationError(AllocationErrorKind.SharingKeyMismatch)
                {
                    Address = address,
                    Holder = holder.Key,
                    SharingKey = sharingKey,
                    HolderSharingKey = holder.SharingKey,
                };
            }
            if (!_options.AllowSharingAcrossNamespaces && !string.Equals(holder.Key.Namespace, service.Key.Namespace, StringComparison.Ordinal))
            {
                return new AllocationError(AllocationErrorKind.SharingAcrossNamespaces) { Address = address, Holder = holder.Key, SharingKey = sharingKey };
            }
            if (!backendKnown)
            {
                backendKey = ServiceRequest.BackendKeyOf(service);
                backendKnown = true;
            }
            if (!string.Equals(holder.BackendKey, backendKey, StringComparison.Ordinal))
            {
                return new AllocationError(AllocationErrorKind.SharingBackendMismatch) { Address = address, Holder = holder.Key };
            }
            foreach (var port in service.Ports)
            {
                if (holder.Service.Ports.Contains(port))
                {
                    return new AllocationError(AllocationErrorKind.PortConflict) { Address = address, Holder = holder.Key, Port = port };
                }
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

    private (string? Namespace, string Key) Group(string ns, string key) =>
        (_options.AllowSharingAcrossNamespaces ? null : ns, key);

    /// <summary>Records the Service on each of its addresses; the first user of an address marks it used in its range.</summary>
    private void Attach(ServiceState state)
    {
        foreach (var address in state.Addresses)
        {
            var family = address.Family;
            if (_users.TryGetValue(address, out var head))
            {
                state.SetNext(family, head.Next(family));
                head.SetNext(family, state);
            }
            else
            {
                state.SetNext(family, null);
                _users.Add(address, state);
                _pools.Find(address)!.MarkUsed(address.Value);
            }
            if (state.SharingKey is { } key)
            {
                var group = Group(state.Key.Namespace, key);
                if (!_shared.TryGetValue(group, out var set))
                {
                    _shared[group] = set = [];
                }
                set.Add(address);
            }
        }
    }

    /// <summary>Removes the Service from each of its addresses; the last user leaving frees the address.</summary>
    private void Detach(ServiceState state)
    {
        foreach (var address in state.Addresses)
        {
            var family = address.Family;
            var head = _users[address];
            if (ReferenceEquals(head, state))
            {
                if (state.Next(family) is { } next)
                {
                    _users[address] = next;
                }
                else
                {
                    _users.Remove(address);
                    _pools.Find(address)!.MarkFree(address.Value);
                    if (state.SharingKey is { } key && _shared.TryGetValue(Group(state.Key.Namespace, key), out var set))
                    {
                        set.Remove(address);
                        if (set.Count == 0)
                        {
                            _shared.Remove(Group(state.Key.Namespace, key));
                        }
                    }
                }
            }
            else
            {
                var before = head;
                while (!ReferenceEquals(before.Next(family), state))
                {
                    before = before.Next(family)!;
                }
                before.SetNext(family, state.Next(family));
            }
            state.SetNext(family, null);
        }
    }
}
