using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// A <c>v1 Node</c>: its labels (node selectors), its <c>status.addresses</c> of type InternalIP (where its
/// daemon's L2 heartbeat listens, docs/l2.md) and whether its NetworkUnavailable condition is true
/// (such a node is not elected for a VIP, as in MetalLB).
/// </summary>
public sealed record NodeConfig(string Name, ImmutableDictionary<string, string> Labels)
{
    public ImmutableArray<IpAddress> InternalAddresses { get; init; } = [];

    public bool NetworkUnavailable { get; init; }
}
