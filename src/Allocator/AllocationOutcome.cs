namespace BgpLb.Allocator;

/// <summary>What one call did to one Service. Moves and losses are outcomes of their own, never silent.</summary>
public enum AllocationOutcome
{
    /// <summary>The Service keeps exactly the addresses it had.</summary>
    Kept,

    /// <summary>A restored assignment was accepted.</summary>
    Restored,

    /// <summary>The Service had nothing and now has addresses.</summary>
    Assigned,

    /// <summary>PreferDualStack: the Service kept its address and gained one of the other family from the same pool.</summary>
    Extended,

    /// <summary>The old addresses became invalid (<see cref="AllocationResult.Invalidation"/>) and new ones were given.</summary>
    Moved,

    /// <summary>The Service has no addresses; <see cref="AllocationResult.Error"/> says why.</summary>
    Failed,

    /// <summary>The Service gave its addresses back (deleted, or no longer ours by loadBalancerClass).</summary>
    Released,

    /// <summary>Another implementation's loadBalancerClass: not ours to serve.</summary>
    NotOurs,
}
