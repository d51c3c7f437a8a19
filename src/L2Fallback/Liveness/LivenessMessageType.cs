namespace BgpLb.L2Fallback.Liveness;

/// <summary>Heartbeat datagram types.</summary>
internal enum LivenessMessageType : byte
{
    /// <summary>"I am alive" to a ring successor, with the sender's view of the receiver.</summary>
    Heartbeat = 1,
    /// <summary>Member states: a change broadcast to all, or a slice of the full view (anti-entropy).</summary>
    Update = 2,
}
