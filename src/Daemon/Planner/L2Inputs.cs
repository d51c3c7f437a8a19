using System.Collections.Immutable;
using BgpLb.Allocator;
using BgpLb.Daemon.Model;
using BgpLb.L2Fallback;
using BgpLb.L2Fallback.Election;

namespace BgpLb.Daemon.Planner;

/// <summary>
/// Pure: what the L2 election of every node reads from a snapshot and the allocations. Every node
/// computes the same inputs from the same config (only <see cref="L2Service.Interfaces"/> depends on
/// which advertisements select this node), so every node elects the same owner.
/// </summary>
public static class L2Inputs
{
    /// <summary>The Nodes as the election sees them: name, labels, NetworkUnavailable, and Ready False (unless no Node is ready).</summary>
    public static ImmutableArray<ElectionNode> Nodes(ConfigSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var anyReady = NodeIdentity.AnyReady(snapshot);
        return [.. snapshot.Nodes.Select(n => new ElectionNode(n.Name, n.Labels, n.NetworkUnavailable, NodeIdentity.NotReadyOf(n, anyReady) is not null))];
    }

    /// <summary>
    /// Every allocated Service whose pool is in an L2Advertisement, with its addresses and election input:
    /// the nodeSelectors of each advertisement of the pool (MetalLB: a node any of them selects is a
    /// candidate), the traffic policy and the nodes with a ready endpoint. A Service without any
    /// EndpointSlice counts as ready on every node with externalTrafficPolicy Cluster (standalone configs
    /// seldom carry EndpointSlices, and the BGP plan announces it too) and nowhere with Local (as the BGP
    /// plan). The interfaces are those of the advertisements that select <paramref name="node"/>, none
    /// (automatic selection) as soon as one of them names none.
    /// </summary>
    public static ImmutableArray<L2Service> Services(ConfigSnapshot snapshot, IEnumerable<Assignment> assignments, NodeIdentity node)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(assignments);
        ArgumentNullException.ThrowIfNull(node);
        if (snapshot.L2Advertisements.IsEmpty)
        {
            return [];
        }
        var byPool = new Dictionary<string, List<L2AdvertisementConfig>>(StringComparer.Ordinal);
        foreach (var ad in snapshot.L2Advertisements)
        {
            foreach (var pool in snapshot.Pools.Where(p => Planner.Selects(ad.IpAddressPools, ad.IpAddressPoolSelectors, p)))
            {
                if (!byPool.TryGetValue(pool.Name, out var list))
                {
                    byPool[pool.Name] = list = [];
                }
                list.Add(ad);
            }
        }
        var l2 = assignments.Where(a => byPool.ContainsKey(a.Pool) && !a.Addresses.IsDefaultOrEmpty).ToList();
        if (l2.Count == 0)
        {
            return [];
        }
        var wanted = l2.Select(a => a.Service).ToHashSet();
        var policies = snapshot.Services.Where(s => wanted.Contains(s.Key)).ToDictionary(s => s.Key, s => s.ExternalTrafficPolicy);
        var ready = new Dictionary<ServiceKey, ImmutableHashSet<string>.Builder>();
        foreach (var slice in snapshot.EndpointSlices.Where(s => wanted.Contains(s.Service)))
        {
            if (!ready.TryGetValue(slice.Service, out var nodes))
            {
                ready[slice.Service] = nodes = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            }
            nodes.UnionWith(slice.ReadyNodes);
        }
        var everyNode = snapshot.Nodes.Select(n => n.Name).ToImmutableHashSet(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<L2Service>(l2.Count);
        foreach (var assignment in l2)
        {
            var ads = byPool[assignment.Pool];
            var policy = policies.GetValueOrDefault(assignment.Service, ExternalTrafficPolicy.Cluster);
            var readyNodes = ready.TryGetValue(assignment.Service, out var r) ? r.ToImmutable()
                : policy == ExternalTrafficPolicy.Cluster ? everyNode : [];
            var here = ads.Where(a => node.IsSelectedBy(a.NodeSelectors)).ToList();
            ImmutableArray<string> interfaces = here.Count == 0 || here.Any(a => a.Interfaces.IsDefaultOrEmpty)
                ? []
                : [.. here.SelectMany(a => a.Interfaces).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            var addresses = assignment.Addresses.Select(a => a.ToIPAddress()).ToImmutableArray();
            result.Add(new L2Service(
                assignment.Service.ToString(),
                addresses,
                new ElectionRequest(addresses[0], [.. ads.Select(a => a.NodeSelectors)], policy, readyNodes),
                interfaces));
        }
        return result.MoveToImmutable();
    }
}
