using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// What the allocator keeps per Service: the last Service seen (for ports and eligibility), its sharing
/// keys, and what it holds. Services on one address form a chain through <see cref="NextOnV4"/> /
/// <see cref="NextOnV6"/> (a Service has at most one address per family), so an unshared address costs
/// one dictionary entry and no list. Kept small on purpose: the budget is 200 bytes per assignment.
/// </summary>
internal sealed class ServiceState(LoadBalancerService service, string pool, ImmutableArray<IpAddress> addresses)
{
    public LoadBalancerService Service { get; set; } = service;

    public string? SharingKey { get; set; } = ServiceRequest.SharingKeyOf(service);

    public string? BackendKey { get; set; } = ServiceRequest.BackendKeyOf(service);

    public string Pool { get; set; } = pool;

    public ImmutableArray<IpAddress> Addresses { get; set; } = addresses;

    public ServiceState? NextOnV4 { get; set; }

    public ServiceState? NextOnV6 { get; set; }

    public ServiceKey Key => Service.Key;

    public Assignment Assignment => new(Service.Key, Pool, Addresses);

    public ServiceState? Next(IpFamily family) => family == IpFamily.IPv4 ? NextOnV4 : NextOnV6;

    public void SetNext(IpFamily family, ServiceState? next)
    {
        if (family == IpFamily.IPv4)
        {
            NextOnV4 = next;
        }
        else
        {
            NextOnV6 = next;
        }
    }
}
