namespace BgpLb.Daemon.Cluster;

/// <summary>How <c>bgplb speaker</c> runs (docs/speaker.md).</summary>
public sealed record SpeakerOptions
{
    /// <summary>The namespace of the bgplb.io objects and of the Secrets they name (BGPPeer passwordSecret, the L2 memberlist key).</summary>
    public required string Namespace { get; init; }

    /// <summary>Services of this loadBalancerClass are ours; null: we are the default implementation (the controller's rule, <see cref="LoadBalancerClassRule"/>).</summary>
    public string? LoadBalancerClass { get; init; }

    /// <summary>A change waits this long for others to join it: a burst of watch events (a relist, a rollout) is one apply.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>However many changes keep coming, one is applied at most this long after the first of them.</summary>
    public TimeSpan DebounceLimit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The speaker's Pod, which owns this node's NodeState (null outside a Pod: the NodeState has no owner).</summary>
    public NodeStateOwner? Pod { get; init; }

    public WatchOptions Watch { get; init; } = new();
}
