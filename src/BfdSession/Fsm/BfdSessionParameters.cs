using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession.Fsm;

/// <summary>
/// What the FSM is configured with (RFC 5880 §6.8.1 bfd.DesiredMinTxInterval,
/// bfd.RequiredMinRxInterval, bfd.DetectMult, the passive role of §6.1, bfd.AuthType and its key),
/// intervals in microseconds as on the wire. Validated by the facade (<see cref="BfdProfile"/>).
/// </summary>
public sealed record BfdSessionParameters
{
    public required uint DesiredMinTxInterval { get; init; }

    public required uint RequiredMinRxInterval { get; init; }

    public required byte DetectMultiplier { get; init; }

    /// <summary>§6.1: do not send until a packet from the peer tells us its discriminator.</summary>
    public bool Passive { get; init; }

    /// <summary>Null: no authentication (bfd.AuthType 0).</summary>
    public BfdAuthKey? Auth { get; init; }
}
