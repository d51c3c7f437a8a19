using System.Collections.Immutable;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Planner;

/// <summary>The node this daemon speaks for: its name, the labels node selectors match, and whether it is not ready.</summary>
public sealed record NodeIdentity(string Name, ImmutableDictionary<string, string> Labels)
{
    /// <summary>Why the node takes no load-balancer traffic because of its Ready condition (<see cref="NotReadyOf"/>); null: it may.</summary>
    public string? NotReady { get; init; }

    /// <summary>The well-known label every kubelet sets on its Node; the one label a standalone node has without a Node object.</summary>
    public const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>The labels of the snapshot's Node named <paramref name="name"/>, or just <see cref="HostnameLabel"/> when the config has no such Node.</summary>
    public static NodeIdentity From(ConfigSnapshot snapshot, string name)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var node = snapshot.Nodes.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.Ordinal));
        return new NodeIdentity(name, node?.Labels ?? ImmutableDictionary<string, string>.Empty.Add(HostnameLabel, name))
        {
            NotReady = node is null ? null : NotReadyOf(node, AnyReady(snapshot)),
        };
    }

    /// <summary>Whether some Node of <paramref name="snapshot"/> is not NotReady (or there is none): the argument of <see cref="NotReadyOf"/>.</summary>
    public static bool AnyReady(ConfigSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.Nodes.IsDefaultOrEmpty || snapshot.Nodes.Any(n => n.NotReady is null);
    }

    /// <summary>
    /// Why <paramref name="node"/> takes no load-balancer traffic, over BGP or L2, because its kubelet says it is not
    /// ready (Ready False), or null. When no Node is ready (<paramref name="anyReady"/> false) Ready is not
    /// followed: every node going away at once is a cluster-wide fault or a wrong report, and withdrawing
    /// every VIP would turn it into an outage (the node lifecycle controller stops evicting for the same reason).
    /// </summary>
    public static string? NotReadyOf(NodeConfig node, bool anyReady)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.NotReady is { } why && anyReady ? $"node {node.Name}'s Ready condition is False ({why})" : null;
    }

    /// <summary>
    /// Labelled node.kubernetes.io/exclude-from-external-load-balancers (Kubernetes' well-known label, which
    /// MetalLB honours too): the node announces no VIP, over BGP or L2.
    /// </summary>
    public bool ExcludedFromLoadBalancers => Labels.ContainsKey(L2Fallback.Election.ElectionNode.ExcludeFromExternalLoadBalancers);

    /// <summary>An empty selector list selects every node (MetalLB's nodeSelectors); otherwise any one selector must match.</summary>
    public bool IsSelectedBy(ImmutableArray<Allocator.LabelSelector> selectors) =>
        selectors.IsDefaultOrEmpty || selectors.Any(s => s.Matches(Labels));
}
