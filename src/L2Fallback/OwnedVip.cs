using System.Collections.Immutable;
using System.Net;

namespace BgpLb.L2Fallback;

/// <summary>A VIP this node owns and the interfaces (by name) it answers for it on.</summary>
public sealed record OwnedVip(IPAddress Address, ImmutableArray<string> Interfaces);
