using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// What the allocator keeps per Service: the last Service seen (ports, keys, eligibility come from it)
/// and what it holds. Deliberately three references: the budget is 200 bytes per assignment, and the
/// sharing keys, needed only when an address is contested, are cheap to read again from the Service.
/// </summary>
internal sealed class ServiceState(LoadBalancerService service, string pool, ImmutableArray<IpAddress> addresses)
{
    public LoadBalancerService Service { get; set; } = service;

    public string Pool { get; set; } = pool;

    public ImmutableArray<IpAddress> Addresses { get; set; } = addresses;

    public ServiceKey Key => Service.Key;

    public string? SharingKey => ServiceRequest.SharingKeyOf(Service);

    public Assignment Assignment => new(Service.Key, Pool, Addresses);
}
