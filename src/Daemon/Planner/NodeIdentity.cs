using System.Collections.Immutable;
using BgpLb.Daemon.Model;

namespace BgpLb.Daemon.Planner;

/// <summary>The node this daemon speaks for: its name and the labels node selectors match.</summary>
public sealed record NodeIdentity(string Name, ImmutableDictionary<string, string> Labels)
{
    /// <summary>The well-known label every kubelet sets on its Node; the one label a standalone node has without a Node object.</summary>
    public const string HostnameLabel = "kubernetes.io/hostname";

    /// <summary>The labels of the snapshot's Node named <paramref name="name"/>, or just <see cref="HostnameLabel"/> when the config has no such Node.</summary>
    public static NodeIdentity From(ConfigSnapshot snapshot, string name)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var node = snapshot.Nodes.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.Ordinal));
        return new NodeIdentity(name, node?.Labels ?? ImmutableDictionary<string, string>.Empty.Add(HostnameLabel, name));
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
