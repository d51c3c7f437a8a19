using BgpLb.BfdSession.Transport;
using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession;

/// <summary>One session as the facade sees it: state, negotiated timers, what the peer sent, counters.</summary>
public sealed record BfdSessionStatus
{
    public required BfdPeer Peer { get; init; }
    public required BfdProfile Profile { get; init; }
    public required BfdState State { get; init; }
    public required BfdState RemoteState { get; init; }
    public required uint LocalDiscriminator { get; init; }
    public required uint RemoteDiscriminator { get; init; }
    public required BfdDiagnostic LocalDiagnostic { get; init; }
    public required BfdDiagnostic RemoteDiagnostic { get; init; }

    /// <summary>RFC 5880 §6.8.2: the agreed transmit interval (before jitter).</summary>
    public required TimeSpan TransmitInterval { get; init; }

    /// <summary>RFC 5880 §6.8.4: how long without a packet before the session is declared down.</summary>
    public required TimeSpan DetectionTime { get; init; }

    public required TimeSpan RemoteDesiredMinTxInterval { get; init; }
    public required TimeSpan RemoteRequiredMinRxInterval { get; init; }
    public required int RemoteDetectMultiplier { get; init; }
    public required bool PollActive { get; init; }

    /// <summary>Our UDP source port (RFC 5881 §4: 49152–65535, fixed for the session's life).</summary>
    public required int SourcePort { get; init; }

    public required BfdSessionCounters Counters { get; init; }
    public required string? LastError { get; init; }
}
