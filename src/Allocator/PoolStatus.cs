namespace BgpLb.Allocator;

/// <summary>
/// Per pool and family: distinct addresses in use, and usable addresses left (after avoidBuggyIPs).
/// <see cref="UInt128"/> because an IPv6 /64 holds 2^64 addresses, one more than <see cref="ulong"/> counts.
/// </summary>
public sealed record PoolStatus(string Pool, UInt128 IPv4InUse, UInt128 IPv4Available, UInt128 IPv6InUse, UInt128 IPv6Available);
