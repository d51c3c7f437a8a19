namespace BgpLb.L2Fallback.Liveness;

/// <summary>
/// Heartbeat timing. With the defaults a node that stops is declared dead 200-250 ms after its
/// last heartbeat: three heartbeats in a row must be lost (one lost datagram leaves a 100 ms gap),
/// and the check runs every interval.
/// </summary>
public sealed record LivenessOptions
{
    /// <summary>How often each node sends a heartbeat to each of its ring successors (and checks its predecessors).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Silence after which a watched predecessor is declared dead.</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How many alive successors each node heartbeats, so how many nodes watch each node.</summary>
    public int Watchers { get; init; } = 2;

    /// <summary>How often a node sends its whole view to one member (round-robin over all, dead ones included).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times a state change is broadcast (one heartbeat interval apart), against loss.</summary>
    public int UpdateRepeats { get; init; } = 3;

    /// <summary>
    /// A member nobody has vouched for within this time after start is taken as dead: the others
    /// answer a starting node's first broadcast with their view at once, so only an absent
    /// member stays unknown.
    /// </summary>
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromMilliseconds(500);
}
