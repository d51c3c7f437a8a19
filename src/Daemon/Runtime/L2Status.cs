using System.Collections.Immutable;
using System.Net;
using BgpLb.L2Fallback.Liveness;

namespace BgpLb.Daemon.Runtime;

/// <summary>This node's part in a VIP's L2 election.</summary>
public enum L2Role
{
    /// <summary>Elected: this node answers ARP/NDP for the VIP.</summary>
    Owner,
    /// <summary>A candidate after the owner: it takes the VIP when those before it die.</summary>
    Standby,
    /// <summary>Not a candidate (the detail says why: not selected, excluded, no ready endpoint, ...).</summary>
    NotCandidate,
}

/// <summary>One L2 VIP as this node sees it (the ServiceL2Status view): who answers, on which interfaces here, and this node's role.</summary>
/// <param name="Interfaces">Where this node answers for the VIP; empty unless it is the owner.</param>
/// <param name="Detail">"answering", "candidate 2 of 3", or why this node is not a candidate.</param>
public sealed record L2VipStatus(string Service, IPAddress Address, string? Owner, ImmutableArray<string> Interfaces, L2Role Role, string Detail);

/// <summary>
/// The L2 mode of this daemon: why it answers nothing (<see cref="Problem"/>, e.g. no Node objects or no
/// heartbeat key), every L2 VIP, and the heartbeat's members as this node sees them (empty when it runs alone).
/// </summary>
public sealed record L2Report(string? Problem, ImmutableArray<L2VipStatus> Vips, ImmutableArray<MemberEntry> Members)
{
    public static readonly L2Report Off = new(null, [], []);
}
