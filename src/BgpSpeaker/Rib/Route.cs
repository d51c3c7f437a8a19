using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Rib;

/// <summary>
/// A route the speaker should announce, before it is fitted to a session: the VIP prefix and the
/// attributes the operator asked for. Next hop, AS_PATH and ORIGIN come from the session
/// (<see cref="ExportPolicy"/>).
/// </summary>
public sealed record Route(IpPrefix Prefix)
{
    public uint? MultiExitDisc { get; init; }

    /// <summary>Sent to internal peers only (RFC 4271 §5.1.5).</summary>
    public uint? LocalPref { get; init; }

    public ValueArray<Community> Communities { get; init; }

    public ValueArray<LargeCommunity> LargeCommunities { get; init; }

    public ValueArray<ExtendedCommunity> ExtendedCommunities { get; init; }
}
