using System.Collections.Immutable;
using BgpLb.Allocator;

namespace BgpLb.Daemon.Model;

/// <summary>
/// A <c>v1 Node</c>: its labels (node selectors), its <c>status.addresses</c> of type InternalIP (where its
/// daemon's L2 heartbeat listens, docs/l2.md), whether its NetworkUnavailable condition is true
/// (such a node is not elected for a VIP, as in MetalLB), and why its Ready condition is False.
/// </summary>
public sealed record NodeConfig(string Name, ImmutableDictionary<string, string> Labels)
{
    public ImmutableArray<IpAddress> InternalAddresses { get; init; } = [];

    public bool NetworkUnavailable { get; init; }

    /// <summary>
    /// The Ready condition's reason and message when its status is <c>False</c>: the kubelet itself says the
    /// node is not ready (container runtime, network plugin). Null when it is True, Unknown or absent.
    /// </summary>
    public string? NotReady { get; init; }
}
