using System.Collections.Immutable;
using System.Net;
using BgpLb.L2Fallback.Election;

namespace BgpLb.L2Fallback;

/// <summary>
/// The ServiceL2Status-like report of one Service: who owns it, the candidates in order, why other
/// nodes are not candidates, its addresses, and, when this node owns it, the interfaces per address.
/// </summary>
public sealed record L2ServiceStatus(string Key, ImmutableArray<IPAddress> Addresses, ElectionResult Election, ImmutableArray<OwnedVip> AnsweredHere);
