using BgpLb.Allocator.Ranges;

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
        if (!_users.TryGetValue(address, out var first))
        {
            return null;
        }
        if (CheckPair(address, service, self, first) is { } error)
        {
            return error;
        }
        if (_sharers.TryGetValue(address, out var others))
        {
            foreach (var other in others)
            {
                if (CheckPair(address, service, self, other) is { } otherError)
                {
                    return otherError;
                }
            }
        }
        return null;
    }

    private AllocationError? CheckPair(IpAddress address, LoadBalancerService service, ServiceState? self, ServiceState holder)
    {
        if (ReferenceEquals(holder, self))
        {
            return null;
        }
        var sharingKey = ServiceRequest.SharingKeyOf(service);
        var holderKey = holder.SharingKey;
        if (holderKey is null || sharingKey is null)
        {
            return new AllocationError(AllocationErrorKind.AddressInUse)
            {
                Address = address,
                Holder = holder.Key,
                Detail = holderKey is null ? "it does not allow sharing" : "this service does not allow sharing",
            };
        }
        if (!string.Equals(holderKey, sharingKey, StringComparison.Ordinal))
        {
            return new AllocationError(AllocationErrorKind.SharingKeyMismatch)
            {
                Address = address,
                Holder = holder.Key,
                SharingKey = sharingKey,
                HolderSharingKey = holderKey,
            };
        }
        if (!_options.AllowSharingAcrossNamespaces && !string.Equals(holder.Key.Namespace, service.Key.Namespace, StringComparison.Ordinal))
        {
            return new AllocationError(AllocationErrorKind.SharingAcrossNamespaces) { Address = address, Holder = holder.Key, SharingKey = sharingKey };
        }
        if (!string.Equals(ServiceRequest.BackendKeyOf(holder.Service), ServiceRequest.BackendKeyOf(service), StringComparison.Ordinal))
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
        var key = state.SharingKey;
        foreach (var address in state.Addresses)
        {
            if (!_users.TryAdd(address, state))
            {
                if (!_sharers.TryGetValue(address, out var others))
                {
                    _sharers[address] = others = [];
                }
                others.Add(state);
            }
            else
            {
                _pools.Find(address)!.MarkUsed(address.Value);
            }
            if (key is not null)
            {
                Rebucket(address, Group(state.Key.Namespace, key));
            }
        }
    }

    /// <summary>Removes the Service from each of its addresses; the last user leaving frees the address.</summary>
    private void Detach(ServiceState state)
    {
        foreach (var address in state.Addresses)
        {
            _sharers.TryGetValue(address, out var others);
            if (!ReferenceEquals(_users[address], state))
            {
                others!.Remove(state);
            }
            else if (others is { Count: > 0 })
            {
                _users[address] = others[^1];
                others.RemoveAt(others.Count - 1);
            }
            else
            {
                _users.Remove(address);
                _pools.Find(address)!.MarkFree(address.Value);
            }
            if (others is { Count: 0 })
            {
                _sharers.Remove(address);
            }
            // Everyone on an address has the same key and group, so the group loses it with its last user.
            if (state.SharingKey is { } key)
            {
                Rebucket(address, Group(state.Key.Namespace, key));
            }
        }
    }

    /// <summary>Moves a shared address to the bucket of what its users now take, or out of the group when it has none.</summary>
    private void Rebucket(IpAddress address, (string? Namespace, string Key) group)
    {
        if (_bucketOf.Remove(address, out var old))
        {
            old.Addresses.Remove(address);
            if (old.Addresses.Count == 0 && _shared.TryGetValue(group, out var oldBuckets))
            {
                oldBuckets.Remove((old.Range, old.Signature));
                if (oldBuckets.Count == 0)
                {
                    _shared.Remove(group);
                }
            }
        }
        if (!_users.TryGetValue(address, out var first))
        {
            return;
        }
        var backends = new SortedSet<string>(StringComparer.Ordinal) { BackendSignature(first.Service) };
        var ports = new SortedSet<ServicePort>(first.Service.Ports, PortOrder);
        if (_sharers.TryGetValue(address, out var others))
        {
            foreach (var other in others)
            {
                backends.Add(BackendSignature(other.Service));
                ports.UnionWith(other.Service.Ports);
            }
        }
        var range = _pools.Find(address)!;
        var signature = string.Join("\0", backends) + "\u0001" + string.Join(",", ports);
        if (!_shared.TryGetValue(group, out var buckets))
        {
            _shared[group] = buckets = [];
        }
        if (!buckets.TryGetValue((range, signature), out var bucket))
        {
            buckets[(range, signature)] = bucket = new ShareBucket(range, signature, backends.Count == 1 ? backends.Min : null, [.. ports]);
        }
        bucket.Addresses.Add(address);
        _bucketOf[address] = bucket;
    }

    // Null (externalTrafficPolicy Cluster) and "" (Local, empty selector) are different backends.
    private static string BackendSignature(LoadBalancerService service) =>
        ServiceRequest.BackendKeyOf(service) is { } key ? "L" + key : "C";

    private static readonly Comparer<ServicePort> PortOrder =
        Comparer<ServicePort>.Create((a, b) => a.Protocol != b.Protocol ? a.Protocol.CompareTo(b.Protocol) : a.Port.CompareTo(b.Port));

    /// <summary>
    /// Shared addresses of one range whose users together take the same ports and pods: one more Service may
    /// join any of them exactly when it may join one, so the lowest is the only candidate.
    /// </summary>
    private sealed class ShareBucket(PoolRange range, string signature, string? backend, HashSet<ServicePort> ports)
    {
        public PoolRange Range { get; } = range;

        public string Signature { get; } = signature;

        public SortedSet<IpAddress> Addresses { get; } = [];

        /// <summary>MetalLB's rules against every user at once: the same pods (or all Cluster), no port twice.</summary>
        public bool Admits(LoadBalancerService service) =>
            backend is not null && string.Equals(backend, BackendSignature(service), StringComparison.Ordinal)
            && !service.Ports.Any(ports.Contains);
    }
}
