using BgpLb.Allocator;

namespace BgpLb.Daemon.Cluster;

/// <summary>
/// Which Services are ours by <c>spec.loadBalancerClass</c>, for the controller and the speaker alike: the
/// allocator decides it (<see cref="AllocatorOptions"/>), so a Service the controller does not allocate for
/// is one the speaker does not announce.
/// </summary>
public static class LoadBalancerClassRule
{
    /// <summary>The allocator options of <c>--load-balancer-class</c>; null: we are the cluster's default (Services without a class, and ours).</summary>
    public static AllocatorOptions Options(string? loadBalancerClass) => loadBalancerClass is null
        ? new AllocatorOptions()
        : new AllocatorOptions { LoadBalancerClass = loadBalancerClass, IsDefaultClass = false };

    /// <summary>The rule in words, for the start-up log.</summary>
    public static string Describe(string? loadBalancerClass) =>
        loadBalancerClass ?? "(default: Services without a class, and " + AllocatorOptions.DefaultLoadBalancerClass + ")";
}
