namespace BgpLb.L2Fallback.Liveness;

/// <summary>Why an authenticated datagram was not applied.</summary>
public enum LivenessDropReason
{
    None,
    /// <summary>The sender is not a configured member.</summary>
    UnknownSender,
    /// <summary>An epoch older than the newest seen from the sender, or a sequence not above the last one: a replay or a reordered datagram.</summary>
    Replayed,
    /// <summary>Sent by this node's own name (a misconfigured twin, or a reflection).</summary>
    FromSelf,
}
