using System.Collections.Immutable;
using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession;

/// <summary>A snapshot of one session's counters.</summary>
public sealed record BfdSessionCounters
{
    public long PacketsSent { get; init; }
    public long PacketsReceived { get; init; }
    public long SendErrors { get; init; }
    public long PollSequences { get; init; }
    public long UpTransitions { get; init; }
    public long DownTransitions { get; init; }

    /// <summary>Discarded packets by reason (reasons never seen are absent).</summary>
    public ImmutableDictionary<BfdDropReason, long> Dropped { get; init; } = ImmutableDictionary<BfdDropReason, long>.Empty;

    public long DroppedTotal => Dropped.Values.Sum();
}
