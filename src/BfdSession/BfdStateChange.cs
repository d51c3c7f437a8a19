using BgpLb.BfdSession.Wire;

namespace BgpLb.BfdSession;

/// <summary>
/// A session changed state: from, to, our diagnostic (why: e.g. ControlDetectionTimeExpired,
/// NeighborSignaledSessionDown) and the one the peer last sent.
/// </summary>
public sealed record BfdStateChange(BfdPeer Peer, BfdState From, BfdState To, BfdDiagnostic Diagnostic, BfdDiagnostic RemoteDiagnostic, DateTimeOffset At);
