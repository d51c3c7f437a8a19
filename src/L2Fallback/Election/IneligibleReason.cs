namespace BgpLb.L2Fallback.Election;

/// <summary>Why a node is not a candidate for a VIP.</summary>
public enum IneligibleReason
{
    /// <summary>No L2Advertisement of the VIP's pool selects the node (its nodeSelectors).</summary>
    NotSelected,
    /// <summary>Labelled node.kubernetes.io/exclude-from-external-load-balancers.</summary>
    ExcludedFromExternalLoadBalancers,
    /// <summary>The node's NetworkUnavailable condition is true.</summary>
    NetworkUnavailable,
    /// <summary>The node's Ready condition is False.</summary>
    NotReady,
    /// <summary>The liveness channel says the node's daemon is down.</summary>
    NotAlive,
    /// <summary>externalTrafficPolicy Local and no ready endpoint on the node.</summary>
    NoReadyEndpointOnNode,
    /// <summary>The Service has no ready endpoint anywhere: nobody announces.</summary>
    NoReadyEndpoint,
}
