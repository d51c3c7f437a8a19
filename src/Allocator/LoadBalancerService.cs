using System.Collections.Immutable;

namespace BgpLb.Allocator;

/// <summary>
/// The parts of a type LoadBalancer Service (and its namespace's labels) that decide its addresses.
/// The caller passes only LoadBalancer Services; the rest of the object is not the allocator's business.
/// </summary>
public sealed record LoadBalancerService(ServiceKey Key)
{
    // Fields most Services leave unset live in one side object, shared while all are unset: 80 bytes per Service
    // instead of 104 (2.4 MB at 100,000 Services, held by the snapshot for as long as it runs).
    private Rare _rare = Rare.None;

    public ImmutableDictionary<string, string> Annotations
    {
        get => _rare.Annotations;
        init => _rare = Rare.Normal(_rare with { Annotations = Rare.Shared(value) });
    }

    public ImmutableDictionary<string, string> Labels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Labels of the Service's namespace, for <see cref="ServiceAllocation.NamespaceSelectors"/>.</summary>
    public ImmutableDictionary<string, string> NamespaceLabels { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary><c>spec.loadBalancerIP</c> (deprecated by Kubernetes, still honoured).</summary>
    public string? LoadBalancerIP
    {
        get => _rare.LoadBalancerIP;
        init => _rare = Rare.Normal(_rare with { LoadBalancerIP = value });
    }

    /// <summary><c>spec.ipFamilies</c>, primary first. Empty means IPv4, as a single-stack IPv4 cluster fills it.</summary>
    public ImmutableArray<IpFamily> IpFamilies { get; init; } = [];

    public IpFamilyPolicy IpFamilyPolicy { get; init; } = IpFamilyPolicy.SingleStack;

    public string? LoadBalancerClass
    {
        get => _rare.LoadBalancerClass;
        init => _rare = Rare.Normal(_rare with { LoadBalancerClass = value });
    }

    public ImmutableArray<ServicePort> Ports { get; init; } = [];

    public ExternalTrafficPolicy ExternalTrafficPolicy { get; init; } = ExternalTrafficPolicy.Cluster;

    /// <summary>
    /// <c>spec.selector</c>: the pods behind it, which decide sharing under <see cref="ExternalTrafficPolicy.Local"/>
    /// and nothing else (a loader may leave it empty for a Cluster Service).
    /// </summary>
    public ImmutableDictionary<string, string> Selector
    {
        get => _rare.Selector;
        init => _rare = Rare.Normal(_rare with { Selector = Rare.Shared(value) });
    }

    /// <summary>The rarely set fields; <see cref="None"/> while all are unset. Compared by value, as the record compares its own fields.</summary>
    private sealed record Rare(
        ImmutableDictionary<string, string> Annotations, string? LoadBalancerIP, string? LoadBalancerClass, ImmutableDictionary<string, string> Selector)
    {
        public static Rare None { get; } = new(ImmutableDictionary<string, string>.Empty, null, null, ImmutableDictionary<string, string>.Empty);

        /// <summary><see cref="None"/> for a side object with every field unset, so that Services with none set share it.</summary>
        public static Rare Normal(Rare rare) => rare.Equals(None) ? None : rare;

        /// <summary>The shared empty table for any empty one (tables compare by reference, so two empties would differ).</summary>
        public static ImmutableDictionary<string, string> Shared(ImmutableDictionary<string, string> table) =>
            table.IsEmpty ? ImmutableDictionary<string, string>.Empty : table;
    }
}
