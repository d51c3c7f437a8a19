namespace BgpLb.L2Fallback.Liveness;

/// <summary>A datagram the membership wants sent to one member.</summary>
internal readonly record struct LivenessSend(string To, LivenessMessage Message);
