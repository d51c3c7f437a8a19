using System.Collections.Immutable;

namespace BgpLb.L2Fallback.Election;

/// <summary>The parts of a <c>v1 Node</c> the election reads.</summary>
/// <param name="NotReady">Its Ready condition is False (and some other Node is ready: the caller decides).</param>
public sealed record ElectionNode(string Name, ImmutableDictionary<string, string> Labels, bool NetworkUnavailable = false, bool NotReady = false)
{
    /// <summary>Kubernetes well-known label: nodes carrying it take no external load-balancer traffic.</summary>
    public const string ExcludeFromExternalLoadBalancers = "node.kubernetes.io/exclude-from-external-load-balancers";
}
