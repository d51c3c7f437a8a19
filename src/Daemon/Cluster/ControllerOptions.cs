namespace BgpLb.Daemon.Cluster;

/// <summary>How <c>bgplb controller</c> runs (docs/controller.md).</summary>
public sealed record ControllerOptions
{
    /// <summary>The namespace of the Lease and of the IPAddressPools the controller reads (its own, like MetalLB's).</summary>
    public required string Namespace { get; init; }

    /// <summary>This replica's name in the Lease (holderIdentity).</summary>
    public required string Identity { get; init; }

    public string LeaseName { get; init; } = "bgplb-controller";

    /// <summary>Services with this loadBalancerClass are ours; null: we are the default implementation (Services without a class, and ours).</summary>
    public string? LoadBalancerClass { get; init; }

    /// <summary>How long a Lease holds without renewal: the bound of a failover after the leader dies (client-go's default).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps trying to renew before it gives up leading.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates try to take the Lease and the leader renews it.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A change waits this long for others to join it, so a burst (1,000 Services created) is one pass.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A configuration object's status (condition Valid, pool usage) is written at most once in this time: while
    /// 1,000 Services are being allocated, a pool's usage changes on every pass.
    /// </summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Status writes and Events in flight at once.</summary>
    public int Writers { get; init; } = 8;

    public WatchOptions Watch { get; init; } = new();

    public Allocator.AllocatorOptions AllocatorOptions => LoadBalancerClassRule.Options(LoadBalancerClass);
}
