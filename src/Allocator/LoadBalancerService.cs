using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// The parts of a type LoadBalancer Service (and its namespace's labels) that decide its addresses.
/// The caller passes only LoadBalancer Services; the rest of the object is not the allocator's business.
/// </summary>
public sealed record LoadBalancerService(ServiceKey Key)
{
    public ImmutableDictionary<string, string> Annotations { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Labels of the Service's namespace, for <see cref="ServiceAllocation.NamespaceSelectors"/>.</summary>
    public ImmutableDictionary<string, string> NamespaceLabels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary><c>spec.loadBalancerIP</c> (deprecated by Kubernetes, still honoured).</summary>
    public string? LoadBalancerIP { get; init; }

    /// <summary><c>spec.ipFamilies</c>, primary first. Empty means IPv4, as a single-stack IPv4 cluster fills it.</summary>
    public ImmutableArray<IpFamily> IpFamilies { get; init; } = [];

    public IpFamilyPolicy IpFamilyPolicy { get; init; } = IpFamilyPolicy.SingleStack;

    public string? LoadBalancerClass { get; init; }

    public ImmutableArray<ServicePort> Ports { get; init; } = [];

    public ExternalTrafficPolicy ExternalTrafficPolicy { get; init; } = ExternalTrafficPolicy.Cluster;

    /// <summary>
    /// <c>spec.selector</c>: the pods behind it, which decide sharing under <see cref="ExternalTrafficPolicy.Local"/>
    /// and nothing else (a loader may leave it empty for a Cluster Service).
    /// </summary>
    public ImmutableDictionary<string, string> Selector { get; init; } = ImmutableDictionary<string, string>.Empty;
}
