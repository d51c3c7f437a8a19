using System.Collections.Immutable;
using System.Net;
using BgpLb.L2Fallback.Election;

namespace BgpLb.L2Fallback;

/// <summary>
/// One Service announced in layer 2 mode: its addresses (IPv4 and/or IPv6), its election input, and
/// the L2Advertisement's <c>interfaces</c> (empty: chosen per address by <see cref="Transport.InterfaceSelector"/>).
/// </summary>
public sealed record L2Service(string Key, ImmutableArray<IPAddress> Addresses, ElectionRequest Election, ImmutableArray<string> Interfaces);
