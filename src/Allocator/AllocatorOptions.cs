namespace BgpLb.Allocator;

/// <summary>How this allocator instance treats loadBalancerClass and cross-namespace sharing.</summary>
public sealed record AllocatorOptions
{
    public const string DefaultLoadBalancerClass = "bgplb.io/bgplb";

    /// <summary>Services with this <c>spec.loadBalancerClass</c> are ours.</summary>
    public string LoadBalancerClass { get; init; } = DefaultLoadBalancerClass;

    /// <summary>Whether Services without a loadBalancerClass are ours (we are the cluster's default implementation).</summary>
    public bool IsDefaultClass { get; init; } = true;

    /// <summary>
    /// MetalLB lets any two Services with the same allow-shared-ip key share, whatever their namespaces, so a
    /// tenant can squat on another's address by guessing its key. Here that needs this switch.
    /// </summary>
    public bool AllowSharingAcrossNamespaces { get; init; }

    /// <summary>Expected number of Services, so the tables are sized once instead of grown by doubling.</summary>
    public int CapacityHint { get; init; }
}
